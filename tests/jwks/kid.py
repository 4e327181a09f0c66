"""Prints a JWT's header kid (no verification)."""
import base64
import json
import sys

header = sys.argv[1].split(".")[0]
print(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])
