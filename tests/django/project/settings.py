"""A minimal Django + DRF + simplejwt + djoser project, as a project moving to bouncer has.
The database is a SQLite file in the run's temporary directory (DJANGO_DB)."""
import os
from datetime import timedelta

SECRET_KEY = "tests-django-not-a-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_simplejwt.token_blacklist",
    "djoser",
]
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["DJANGO_DB"]}
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Every hasher bouncer verifies. The work factors are lowered (hashers.py) so a debug build
# checks them quickly; the stored formats are exactly Django's.
PASSWORD_HASHERS = [
    "project.hashers.PBKDF2",
    "project.hashers.PBKDF2SHA1",
    "project.hashers.Argon2",
    "project.hashers.BCryptSHA256",
    "project.hashers.BCrypt",
    "project.hashers.Scrypt",
]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ]
}
# simplejwt's defaults (SIGNING_KEY = SECRET_KEY, HS256, "user_id"), except an access token
# that outlives the whole run, so the live cut-over check can use it on every backend.
SIMPLE_JWT = {"ACCESS_TOKEN_LIFETIME": timedelta(hours=1)}
