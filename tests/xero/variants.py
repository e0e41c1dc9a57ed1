"""The sandbox variants the sync-critical tests run under: one per behaviour Xero's documentation
leaves open (see xero_sandbox/README.md), each named for the test id."""
import pytest

VARIANTS = {
    "xero-as-sandbox": {},
    "modified-since-after": {"modified_since": "after"},
    "key-forgotten-after-5xx": {"idempotency_after_5xx": "forget"},
    "5xx-replayed": {"idempotency_after_5xx": "replay"},
    "missing-scope-403": {"missing_scope": "403"},
    "pages-of-100": {"page_size_cap": "100"},
    "line-rounding": {"unit_rounding": "line"},
    "pkce-refused-with-secret": {"pkce_with_secret": "invalid_request"},
}
# Variants the client does not survive yet in every test (each reason names the issue-14 item).
NOT_YET = {}


def parametrize_variants(metafunc):
    """Run a test marked ``variants`` once under each variant (unmarked tests: Xero as the sandbox).

    ``@pytest.mark.variants(not_yet={"variant-name": "why"})`` expects a variant to fail in that
    test until the client is fixed, as ``NOT_YET`` does for every test.
    """
    marker = metafunc.definition.get_closest_marker("variants")
    if marker is None or "sandbox_variant" not in metafunc.fixturenames:
        return
    not_yet = {**NOT_YET, **marker.kwargs.get("not_yet", {})}
    unknown = set(not_yet) - set(VARIANTS)
    assert not unknown, f"no such variants: {unknown}"
    metafunc.parametrize("sandbox_variant", [
        pytest.param(switches, id=name, marks=[pytest.mark.xfail(reason=not_yet[name], strict=True)]
                     if name in not_yet else []) for name, switches in VARIANTS.items()], indirect=True)
