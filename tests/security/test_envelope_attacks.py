"""Bodies that are not a JSON object at all: the error still names the field (`body`)."""

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["[1, 2]", '"x"', "42", "null", "{not json", "[[["])
def test_a_body_that_is_not_a_json_object_names_the_body(api, admin_headers, text):
    response = api.post(
        "/ucp/platform/list", data=text, content_type="application/json", **admin_headers
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["error_code"] == "invalid-input"
    assert list(error["details"]["fields"]) == ["body"]
