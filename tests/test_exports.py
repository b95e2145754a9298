from __future__ import annotations

import types

import broadsheet

# Names the package module holds for its own use (imports), not as its API.
_IMPORTED = {"annotations", "Sequence", "UTC", "datetime", "Path", "iter_raws", "walk_inputs"}


def test_public_surface_is_exactly_all() -> None:
    public = {
        name
        for name, value in vars(broadsheet).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert sorted(broadsheet.__all__) == broadsheet.__all__
    assert public - _IMPORTED == set(broadsheet.__all__) - {"__version__"}
    for name in broadsheet.__all__:
        assert getattr(broadsheet, name) is not None
