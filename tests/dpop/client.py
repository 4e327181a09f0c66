"""A DPoP client made with joserfc (an implementation independent of bouncer's): logs in with
a proof, checks the tokens are bound to joserfc's RFC 7638 thumbprint of its key, calls a
protected route, refreshes, and checks that a replayed proof, a bound token sent as Bearer and
a refresh proved by another key are refused. Usage: client.py BASE_URL USERNAME PASSWORD ALG"""

import base64
import hashlib
import json
import sys
import time
import urllib.error
import urllib.request
import uuid
import warnings

from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey

warnings.simplefilter("ignore")  # joserfc flags EdDSA (RFC 9864); bouncer accepts it on purpose

base, username, password, alg = sys.argv[1:5]


def new_key():
    if alg == "EdDSA":
        return OKPKey.generate_key("Ed25519")
    return ECKey.generate_key("P-256")


def proof(key, method, path, access=None, jti=None):
    claims = {"jti": jti or str(uuid.uuid4()), "htm": method, "htu": base + path,
              "iat": int(time.time())}
    if access is not None:
        digest = hashlib.sha256(access.encode("ascii")).digest()
        claims["ath"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    header = {"typ": "dpop+jwt", "alg": alg, "jwk": key.as_dict(private=False)}
    return jwt.encode(header, claims, key, algorithms=[alg])


def call(method, path, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read() or b"null"), response.headers
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null"), e.headers


def claims_of(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def expect(condition, what):
    if not condition:
        print(f"tests/dpop: {alg}: FAILED: {what}", file=sys.stderr)
        sys.exit(1)


key = new_key()
jkt = key.thumbprint()

status, body, _ = call("POST", "/api/token/", {"username": username, "password": password},
                       {"DPoP": proof(key, "POST", "/api/token/")})
expect(status == 200, f"bound login answered {status} {body}")
expect(body.get("token_type") == "DPoP", f"token_type {body.get('token_type')}")
access, refresh = body["access"], body["refresh"]
expect(claims_of(access).get("cnf") == {"jkt": jkt}, "access token cnf.jkt is joserfc's thumbprint")
expect(claims_of(refresh).get("cnf") == {"jkt": jkt}, "refresh token cnf.jkt is joserfc's thumbprint")

used = proof(key, "GET", "/auth/users/me/", access)
status, body, _ = call("GET", "/auth/users/me/", headers={"Authorization": f"DPoP {access}", "DPoP": used})
expect(status == 200 and body.get("username") == username, f"protected route answered {status} {body}")

status, body, headers = call("GET", "/auth/users/me/", headers={"Authorization": f"DPoP {access}", "DPoP": used})
expect(status == 401 and body.get("code") == "invalid_dpop_proof", f"replayed proof answered {status} {body}")
expect('error="invalid_dpop_proof"' in (headers.get("WWW-Authenticate") or ""), "DPoP challenge on replay")

status, body, _ = call("GET", "/auth/users/me/", headers={"Authorization": f"Bearer {access}"})
expect(status == 401, f"bound token as Bearer answered {status}")

other = new_key()
status, body, _ = call("POST", "/api/token/refresh/", {"refresh": refresh},
                       {"DPoP": proof(other, "POST", "/api/token/refresh/")})
expect(status == 400 and body.get("error") == "invalid_dpop_proof", f"refresh by another key answered {status} {body}")

status, body, _ = call("POST", "/api/token/refresh/", {"refresh": refresh},
                       {"DPoP": proof(key, "POST", "/api/token/refresh/")})
expect(status == 200 and body.get("token_type") == "DPoP", f"bound refresh answered {status} {body}")
new_access = body["access"]
expect(claims_of(new_access).get("cnf") == {"jkt": jkt}, "refreshed access token stays bound")
status, body, _ = call("GET", "/auth/users/me/", headers={
    "Authorization": f"DPoP {new_access}", "DPoP": proof(key, "GET", "/auth/users/me/", new_access)})
expect(status == 200, f"refreshed token on a protected route answered {status} {body}")
print(f"tests/dpop: {alg}: joserfc's proofs bind, authenticate and refresh; replay, Bearer and another key refused")
