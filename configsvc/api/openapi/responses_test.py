from configsvc.api.http.problems import PROBLEM_MEDIA_TYPE
from configsvc.api.openapi.document import problem_components
from configsvc.api.openapi.responses import WATCHED_RESPONSES, problem_responses


def test_openapi_entries_always_include_500_and_503_and_refer_to_the_problem_schema():
    responses = problem_responses(404)

    assert sorted(responses) == [404, 500, 503]
    assert responses[404]["content"][PROBLEM_MEDIA_TYPE]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert {"Problem", "FieldError"} <= problem_components().keys()


def test_a_held_response_documents_preference_applied_beside_the_etag():
    assert set(WATCHED_RESPONSES[200]["headers"]) == {"ETag", "Preference-Applied"}
    assert set(WATCHED_RESPONSES[304]["headers"]) == {"ETag", "Preference-Applied"}
