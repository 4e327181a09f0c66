"""Checks, over HTTP against a running bouncer and in its database, that a Django dump came
across: every password logs in and is upgraded, keys work, the blacklisted token stays
refused, and (live cut-over) the tokens simplejwt issued are accepted. Usage: check.py BASE_URL EXPECTED.json (sqlite:PATH | postgres:URL)."""
import json
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request

base, expected_path, database = sys.argv[1], sys.argv[2], sys.argv[3]
expected = json.load(open(expected_path))
failures = []


def check(ok, message):
    print(("ok   " if ok else "FAIL ") + message)
    if not ok:
        failures.append(message)


def call(method, path, body=None, auth=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if auth:
        request.add_header("Authorization", auth)
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def query(sql, *args):
    """One row of bouncer's database (args are ints or plain identifiers)."""
    kind, _, where = database.partition(":")
    if kind == "sqlite":
        with sqlite3.connect(where) as db:
            return db.execute(sql, args).fetchone()
    sql = sql.replace("?", "%s") % tuple(repr(a) for a in args)
    out = subprocess.run(["psql", where, "-At", "-F", "\t", "-c", sql],
                         check=True, capture_output=True, text=True).stdout.strip()
    return tuple(out.split("\t")) if out else None


def login(user, password):
    return call("POST", "/api/token/", {"username": user["username"], "password": password})


for user in expected["users"]:
    name = f'{user["username"]} ({user["hasher"]})'
    before = query("SELECT password FROM users WHERE id = ?", user["id"])
    check(before is not None and before[0].startswith(user["hasher"] + "$"),
          f"{name}: imported with Django's hash, unchanged")
    status, _ = login(user, user["password"] + "x")
    check(status == 401, f"{name}: a wrong password is refused ({status})")
    status, body = login(user, user["password"])
    check(status == 200 and "access" in (body or {}), f"{name}: Django's password logs in ({status})")
    after = query("SELECT password FROM users WHERE id = ?", user["id"])[0]
    check(after.startswith("bcrypt_sha256$$2b$"), f"{name}: hash upgraded to bouncer's format")
    if user["hasher"] != "bcrypt_sha256":
        check(after != before[0], f"{name}: hash rewritten")
    status, _ = login(user, user["password"])
    check(status == 200, f"{name}: logs in again with the upgraded hash ({status})")
    status, me = call("GET", "/auth/users/me/", auth="Bearer " + body["access"]) if body else (0, None)
    check(status == 200 and me.get("id") == user["id"], f"{name}: /auth/users/me/ answers its Django id")

first = expected["users"][0]
row = query("SELECT is_staff, last_login, date_joined FROM users WHERE id = ?", first["id"])
check(row is not None and str(row[0]) in ("1", "t", "True"), "staff flag kept")
check(row is not None and str(row[2])[:19].replace(" ", "T") == first["date_joined"][:19],
      f"date_joined kept ({row and row[2]} vs {first['date_joined']})")
member = query("SELECT g.name FROM user_groups ug JOIN auth_groups g ON g.id = ug.group_id "
               "WHERE ug.user_id = ?", expected["group"]["member"])
check(member is not None and member[0] == "Manager", "group membership kept")

for key in expected["keys"]:
    status, me = call("GET", "/auth/users/me/", auth="Token " + key["key"])
    check(status == 200 and me.get("username") == key["username"],
          f'Token key of {key["username"]} works ({status})')
    stored = query("SELECT COUNT(*) FROM auth_keys WHERE key_hash = ?",
                   __import__("hashlib").sha256(key["key"].encode()).hexdigest())
    check(stored is not None and int(stored[0]) == 1, "key stored as its SHA-256")
    clear = query("SELECT COUNT(*) FROM auth_keys WHERE key_hash = ?", key["key"])
    check(int(clear[0]) == 0, "key not stored in the clear")

black = expected["blacklisted"]
row = query("SELECT COUNT(*) FROM blacklisted_tokens WHERE jti = ?", black["jti"])
check(int(row[0]) == 1, "Django's blacklisted jti is blacklisted in bouncer")
row = query("SELECT COUNT(*) FROM blacklisted_tokens WHERE jti = ?", expected["live"]["jti"])
check(int(row[0]) == 0, "a token Django did not blacklist is not blacklisted")
status, _ = call("POST", "/api/token/refresh/", {"refresh": black["token"]})
check(status == 401, f"the blacklisted Django refresh token is refused ({status})")
status, _ = call("POST", "/api/token/blacklist/", {"refresh": black["token"]})
check(status in (400, 401), f"nor can it be blacklisted again as if valid ({status})")

# The live cut-over ([django_tokens] set to Django's SIGNING_KEY): the tokens simplejwt issued
# keep working, and the refresh token becomes a bouncer session once.
live = expected["live"]
status, me = call("GET", "/auth/users/me/", auth="Bearer " + live["access"])
check(status == 200 and (me or {}).get("id") == live["user"],
      f"Django's access token works on bouncer ({status})")
status, pair = call("POST", "/api/token/refresh/", {"refresh": live["token"]})
converted = status == 200 and "access" in (pair or {}) and "refresh" in (pair or {})
check(converted, f"a refresh token that Django issued refreshes into a bouncer pair ({status})")
if converted:
    status, me = call("GET", "/auth/users/me/", auth="Bearer " + pair["access"])
    check(status == 200 and me.get("id") == live["user"], f"the bouncer pair works ({status})")
    status, again = call("POST", "/api/token/refresh/", {"refresh": pair["refresh"]})
    check(status == 200, f"the converted session refreshes as bouncer's own ({status})")
row = query("SELECT COUNT(*) FROM blacklisted_tokens WHERE jti = ?", live["jti"])
check(int(row[0]) == 1, "the converted Django token is spent (blacklisted)")
status, _ = call("POST", "/api/token/refresh/", {"refresh": live["token"]})
check(status == 401, f"a second use of the Django refresh token is refused ({status})")
status, _ = call("POST", "/api/token/refresh/", {"refresh": black["token"]})
check(status == 401, f"the blacklisted Django refresh token stays refused ({status})")

if failures:
    sys.exit(f"{len(failures)} checks failed: " + "; ".join(failures))
print("all checks passed")
