"""Schemathesis checks for fairydust: no answer may be an HTTP 5xx or carry the INTERNAL error code.

Loaded through SCHEMATHESIS_HOOKS by scripts/fuzz.sh. Every other error (BAD_USER_INPUT, NOT_FOUND,
FORBIDDEN, ...) is a correct refusal of generated input, not a finding.
"""

import json

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

# Values for the custom scalars: exact decimals travel as strings, JSON takes any value (strings and
# numbers here, so that generated documents stay valid GraphQL literals).
schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=6).map(str),
        st.text(max_size=20),
    ).map(nodes.String),
)
schemathesis.graphql.scalar(
    "JSON",
    st.one_of(st.text(max_size=50).map(nodes.String), st.integers().map(nodes.Int)),
)


@schemathesis.check
def no_internal_error(ctx, response, case):
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:500]}")
    try:
        body = json.loads(response.text)
    except ValueError:
        raise AssertionError(f"not JSON (HTTP {response.status_code}): {response.text[:200]}")
    errors = body.get("errors") or [] if isinstance(body, dict) else []
    for error in errors:
        code = (error.get("extensions") or {}).get("code")
        if code == "INTERNAL":
            raise AssertionError(f"INTERNAL: {json.dumps(error)[:500]}")
        if code is None:
            raise AssertionError(f"an error without extensions.code: {json.dumps(error)[:500]}")
