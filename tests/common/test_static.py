import pytest


@pytest.mark.parametrize("path", ["/static/css/app.css", "/static/vendor/htmx-2.0.11.min.js"])
def test_local_assets_are_served_without_a_cdn(client, path, db):
    # Deployments are often intranet-only: CSS and htmx must come from this server.
    resp = client.get(path)
    assert resp.status_code == 200
    assert b"".join(resp.streaming_content if resp.streaming else [resp.content])
