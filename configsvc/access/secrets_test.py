from configsvc.access.secrets import PREFIX, digest, has_the_shape, new_secret


def test_a_secret_is_the_prefix_and_43_base64url_characters_and_never_repeats():
    made = {new_secret() for _ in range(1000)}
    assert len(made) == 1000
    for secret in made:
        assert secret.startswith(PREFIX)
        assert len(secret) == len(PREFIX) + 43
        assert has_the_shape(secret)


def test_what_does_not_have_the_shape_is_known_at_once():
    secret = new_secret()
    assert not has_the_shape(secret[:-1])
    assert not has_the_shape(secret + "A")
    assert not has_the_shape("Bearer " + secret)
    assert not has_the_shape(secret.replace(PREFIX, "cfgsvx_"))
    assert not has_the_shape(PREFIX + "é" * 43)


def test_only_a_digest_is_kept():
    secret = new_secret()
    assert len(digest(secret)) == 32
    assert digest(secret) == digest(secret)
    assert secret.encode() not in digest(secret)
