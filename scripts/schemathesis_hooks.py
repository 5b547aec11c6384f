"""Schemathesis authentication for `make contract` (scripts/contract.sh).

Operations under /admin/ get an admin's access token; every other operation a plain
user's. Both log in through POST /auth/login, as any client does. The fuzzer may log these
sessions out (POST /auth/logout, /auth/logout-all): a 401 makes Schemathesis ask for a
fresh token.
"""

import os

import requests
import schemathesis

BASE = os.environ["CONTRACT_BASE_URL"]


def log_in(email: str, password: str) -> str:
    answer = requests.post(
        f"{BASE}/auth/login",
        json={"email": email, "password": password},
        headers={"Accept": "application/json"},
        timeout=30,
    )
    answer.raise_for_status()
    return answer.json()["access_token"]


def bearer(case, token: str) -> None:
    case.headers = case.headers or {}
    case.headers["Authorization"] = f"Bearer {token}"


@schemathesis.auth().apply_to(path_regex="^/admin/")
class AdminAuth:
    def get(self, case, context):
        return log_in(os.environ["CONTRACT_ADMIN_EMAIL"], os.environ["CONTRACT_PASSWORD"])

    def set(self, case, data, context):
        bearer(case, data)


@schemathesis.auth().skip_for(path_regex="^/admin/")
class UserAuth:
    def get(self, case, context):
        return log_in(os.environ["CONTRACT_USER_EMAIL"], os.environ["CONTRACT_PASSWORD"])

    def set(self, case, data, context):
        bearer(case, data)
