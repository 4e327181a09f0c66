"""Django's hashers with small work factors: same algorithm names, same stored formats."""
from django.contrib.auth import hashers


class PBKDF2(hashers.PBKDF2PasswordHasher):
    iterations = 2000


class PBKDF2SHA1(hashers.PBKDF2SHA1PasswordHasher):
    iterations = 2000


class Argon2(hashers.Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 256
    parallelism = 1


class BCryptSHA256(hashers.BCryptSHA256PasswordHasher):
    rounds = 4


class BCrypt(hashers.BCryptPasswordHasher):
    rounds = 4


class Scrypt(hashers.ScryptPasswordHasher):
    work_factor = 2**8
