"""schemathesis generates requests for every operation in /openapi.json: none may answer 500,
and every 4xx answer has the API's one error shape."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Ok

from broadsheet.store import Store
from broadsheet.store.users import Accounts
from broadsheet.web import create_app
from tests.web.fixtures import build_demo_db

pytestmark = pytest.mark.slow


def _app_and_token(tmp: Path):
    demo = build_demo_db(tmp / "st.db")
    store = Store.open(demo.db_url)
    accounts = Accounts(store)
    _record, token = accounts.create_token(accounts.user("alice").id, "st", now=datetime.now(UTC))
    return create_app(demo, store=store), token


@pytest.fixture(scope="module")
def app_and_token(tmp_path_factory):
    return _app_and_token(tmp_path_factory.mktemp("st"))


def test_no_server_errors(app_and_token) -> None:
    app, token = app_and_token
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    auth = {"Authorization": f"Bearer {token}"}
    checked = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # an operation the schema cannot describe
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:
            response = case.call(headers=auth)
            assert response.status_code < 500, (case.path, response.text[:300])
            if response.status_code >= 400:
                body = response.json()
                assert set(body) == {"ok", "status", "error", "code", "errors"}, body
                assert body["status"] == response.status_code

        check()
        checked.append(operation.label)
    assert len(checked) >= 11, checked
