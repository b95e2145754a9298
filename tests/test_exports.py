from __future__ import annotations

import broadsheet


def test_public_surface_is_exactly_all() -> None:
    public = {name for name in vars(broadsheet) if not name.startswith("_")}
    modules = {
        "cli",
        "config",
        "errors",
        "inputs",
        "logs",
        "model",
        "pipeline",
        "serialize",
        "store",
        "timestamps",
        "urls",
    }
    imported_helpers = {
        "annotations",
        "Sequence",
        "UTC",
        "datetime",
        "Path",
        "iter_raws",
        "walk_inputs",
    }
    assert sorted(broadsheet.__all__) == broadsheet.__all__
    assert public - modules - imported_helpers == set(broadsheet.__all__) - {"__version__"}
    for name in broadsheet.__all__:
        assert getattr(broadsheet, name) is not None
