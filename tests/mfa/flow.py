"""The two-factor flow of tests/mfa/run, with pyotp making the codes (stdlib HTTP only).

Usage: flow.py BASE_URL SQLITE_DB
"""

import base64
import json
import sqlite3
import sys
import time
import urllib.error
import urllib.request

import pyotp

BASE, DB, SECRETS = sys.argv[1], sys.argv[2], sys.argv[3]
# Everything that must never reach a log line: tests/mfa/run searches the server's log for it.
secrets = []
PASSWORD = "correct-horse-battery-staple-42"


def call(method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request) as response:
            text = response.read().decode()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        return error.code, json.loads(text) if text else None


def expect(got, status, what):
    if got[0] != status:
        sys.exit(f"{what}: expected {status}, got {got[0]} {got[1]}")
    return got[1]


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def code_at(totp, offset_steps):
    return totp.at(time.time() + 30 * offset_steps)


login = {"username": "alice", "password": PASSWORD}
pair = expect(call("POST", "/api/token/", login), 200, "password login")
access = pair["access"]
assert claims(access)["amr"] == ["pwd"], claims(access)

enrolment = expect(
    call("POST", "/auth/mfa/totp/", {"current_password": PASSWORD}, access), 200, "enrolment"
)
totp = pyotp.parse_uri(enrolment["otpauth_uri"])
secrets.append(enrolment["secret"])
assert isinstance(totp, pyotp.TOTP), totp
assert totp.secret == enrolment["secret"], "the URI's secret is the one returned"
assert totp.issuer == "Bouncer Test" and totp.name == "alice", (totp.issuer, totp.name)
assert totp.digits == 6 and totp.interval == 30, (totp.digits, totp.interval)
assert enrolment["qr_svg"].lstrip().startswith(("<?xml", "<svg")), enrolment["qr_svg"][:40]

with sqlite3.connect(DB) as db:
    (stored,) = db.execute("SELECT secret FROM totp_devices").fetchone()
assert stored.startswith("sealed:") and totp.secret not in stored, "the secret is sealed at rest"

confirmed = expect(
    call("POST", "/auth/mfa/totp/confirm/", {"code": code_at(totp, -1)}, access),
    200,
    "confirmation with pyotp's code",
)
recovery = confirmed["recovery_codes"]
secrets.extend(recovery)
assert len(recovery) == 10, recovery
status = expect(call("GET", "/auth/mfa/", token=access), 200, "status")
assert status == {"totp_enabled": True, "recovery_codes_left": 10}, status

challenge = expect(call("POST", "/api/token/", login), 401, "login with TOTP on")
assert challenge["code"] == "mfa_required" and challenge["mfa_token"], challenge
assert set(challenge) == {"detail", "code", "mfa_token"}, challenge
secrets.append(challenge["mfa_token"])
current = totp.now()
assert totp.verify(current)
done = expect(
    call("POST", "/auth/mfa/verify/", {"mfa_token": challenge["mfa_token"], "code": current}),
    200,
    "verification with pyotp's current code",
)
assert claims(done["access"])["amr"] == ["pwd", "otp"], claims(done["access"])
assert claims(done["refresh"])["amr"] == ["pwd", "otp"], claims(done["refresh"])
refreshed = expect(
    call("POST", "/api/token/refresh/", {"refresh": done["refresh"]}), 200, "refresh"
)
assert claims(refreshed["access"])["amr"] == ["pwd", "otp"], claims(refreshed["access"])
expect(call("GET", "/auth/users/me/", token=refreshed["access"]), 200, "the new access token")

# The same code again (same step): refused, and the mfa_token stays usable.
again = expect(call("POST", "/api/token/", login), 401, "second login")
secrets.append(again["mfa_token"])
replay = expect(
    call("POST", "/auth/mfa/verify/", {"mfa_token": again["mfa_token"], "code": current}),
    401,
    "a replayed code",
)
assert replay["code"] == "mfa_code_invalid", replay
by_recovery = expect(
    call("POST", "/auth/mfa/verify/", {"mfa_token": again["mfa_token"], "code": recovery[0]}),
    200,
    "verification with a recovery code",
)
assert claims(by_recovery["access"])["amr"] == ["pwd", "mfa"], claims(by_recovery["access"])
expect(
    call("POST", "/auth/mfa/verify/", {"mfa_token": again["mfa_token"], "code": code_at(totp, 1)}),
    401,
    "a spent mfa_token",
)

# Token keys by password alone are refused while TOTP is on.
refused = expect(call("POST", "/auth/token/login/", login), 403, "a Token-key login")
assert refused["code"] == "mfa_required", refused

# Disabling with pyotp's next code; the password alone logs in again.
expect(
    call("POST", "/auth/mfa/totp/disable/", {"code": code_at(totp, 1)}, access),
    204,
    "disabling with pyotp's next code",
)
plain = expect(call("POST", "/api/token/", login), 200, "password login after disabling")
assert claims(plain["access"])["amr"] == ["pwd"], claims(plain["access"])
with open(SECRETS, "w") as out:
    out.write("\n".join(secrets + [PASSWORD]) + "\n")
print("flow.py: enrolment, mfa_required, verify, replay, recovery code, disable: all as expected")
