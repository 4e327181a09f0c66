"""Creates, in the Django project, what bouncer must carry over: users with every password
hash format, a group, Token keys, and simplejwt refresh tokens (one blacklisted) and a live
access + refresh pair for the cut-over. Writes what check.py expects to EXPECTED (a JSON
file), with the key simplejwt signed with (what [django_tokens] signing_key is set to)."""
import json
import os
import sys
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from rest_framework_simplejwt.settings import api_settings  # noqa: E402

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from rest_framework_simplejwt.tokens import RefreshToken  # noqa: E402

HASHERS = ["pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256", "bcrypt", "scrypt"]

managers = Group.objects.create(name="Manager")
users = []
for n, hasher in enumerate(HASHERS):
    password = f"pw-{hasher}-Ünïcode-{n}"
    user = User.objects.create(
        username=f"user_{hasher}",
        email=f"{hasher}@example.com",
        password=make_password(password, hasher=hasher),
        is_staff=(n == 0),
        last_login=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc) if n == 0 else None,
    )
    assert user.password.startswith(hasher + "$"), user.password
    users.append({"id": user.pk, "username": user.username, "password": password,
                  "hasher": hasher, "staff": user.is_staff,
                  "date_joined": user.date_joined.isoformat()})
User.objects.get(pk=users[0]["id"]).groups.add(managers)

keys = [{"key": Token.objects.create(user_id=u["id"]).key, "username": u["username"]}
        for u in users[:2]]

blacklisted = RefreshToken.for_user(User.objects.get(pk=users[2]["id"]))
blacklisted.blacklist()
live = RefreshToken.for_user(User.objects.get(pk=users[3]["id"]))

with open(os.environ["EXPECTED"], "w") as out:
    json.dump({
        "users": users,
        "group": {"name": "Manager", "member": users[0]["id"]},
        "keys": keys,
        "blacklisted": {"jti": blacklisted["jti"], "token": str(blacklisted)},
        "live": {"jti": live["jti"], "token": str(live), "access": str(live.access_token),
                 "user": users[3]["id"]},
        "signing_key": api_settings.SIGNING_KEY,
    }, out, indent=2)
