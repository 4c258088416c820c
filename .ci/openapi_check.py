"""Validates the served OpenAPI document (written by the contract test) against OpenAPI 3.1."""
import json
import sys

from openapi_spec_validator import OpenAPIV31SpecValidator

doc = json.load(open(sys.argv[1], encoding="utf-8"))
errors = list(OpenAPIV31SpecValidator(doc).iter_errors())
for e in errors:
    print("openapi:", str(e).splitlines()[0])
print(f"openapi: {len(doc['paths'])} paths, {len(errors)} errors")
sys.exit(1 if errors else 0)
