"""Configuration: one schema, three sources, later ones winning, bad values named and survived."""

from __future__ import annotations

from ghostwright import config


def test_defaults_are_complete_and_sane():
    c = config.Config()
    assert c.backend == "openvino"
    assert c.openvino.device == "AUTO" and c.openvino.model == ""
    assert c.completion.max_tokens == 64 and c.completion.temperature == 0.0
    assert 150 <= c.completion.debounce_ms <= 300


def test_toml_then_initialization_options_later_wins(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[completion]\nmax_tokens = 32\ndebounce_ms = 250\n[openvino]\ndevice = "CPU"\n')
    c, _toml, problems = config.load({"completion": {"maxTokens": 48}}, path)
    assert problems == []
    assert c.completion.max_tokens == 48  # initializationOptions win
    assert c.completion.debounce_ms == 250  # TOML kept where not overridden
    assert c.openvino.device == "CPU"


def test_did_change_configuration_layers_over_the_base():
    base, _, _ = config.load({"completion": {"maxTokens": 48}}, None)
    new, problems = config.with_settings(base, {"completion": {"temperature": 0.2}}, "test")
    assert problems == [] and new.completion.temperature == 0.2 and new.completion.max_tokens == 48
    assert base.completion.temperature == 0.0  # the base is untouched


def test_bad_values_name_the_key_and_allowed_values_and_keep_the_default():
    c = config.Config()
    problems = config.apply_settings(c, {
        "openvino": {"device": "TPU"},
        "completion": {"maxTokens": 0, "temperature": "hot", "debounceMs": True},
        "nope": 1,
    }, "initializationOptions")
    text = "\n".join(problems)
    assert "openvino.device" in text and "'AUTO', 'NPU', 'CPU', 'GPU'" in text
    assert "completion.maxTokens" in text and "1..1024" in text
    assert "completion.temperature" in text and "completion.debounceMs" in text
    assert "unknown key 'nope'" in text
    assert c == config.Config()


def test_broken_toml_is_reported_not_fatal(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[completion\nmax_tokens = ")
    c, _, problems = config.load(None, path)
    assert c == config.Config()
    assert problems and str(path) in problems[0]


def test_integers_are_accepted_for_floats():
    c = config.Config()
    assert config.apply_settings(c, {"completion": {"temperature": 1}}, "t") == []
    assert c.completion.temperature == 1.0


def test_every_key_is_documented():
    from dataclasses import fields, is_dataclass

    from conftest import ROOT

    doc = (ROOT / "docs" / "configuration.md").read_text()

    def keys(obj, prefix=""):
        for f in fields(obj):
            value = getattr(obj, f.name)
            wire = prefix + config.camel(f.name)
            if is_dataclass(value):
                yield from keys(value, wire + ".")
            else:
                yield wire

    missing = [k for k in keys(config.Config()) if f"`{k}`" not in doc]
    assert missing == [], f"docs/configuration.md does not describe {missing}"


def test_thousands_of_unknown_keys_give_one_bounded_message():
    c = config.Config()
    problems = config.apply_settings(c, {f"key{i}": i for i in range(2000)} | {"completion": {"bogus": 1}},
                                     "workspace/didChangeConfiguration")
    assert len(problems) == 1
    assert "2001 unknown keys" in problems[0] and "'key0'" in problems[0] and "1991 more" in problems[0]
    assert len(problems[0]) < 1000
    assert c == config.Config()


def test_a_minimum_over_its_maximum_is_one_message_naming_both_and_keeps_the_old_values():
    c = config.Config()
    c.completion.debounce_min_ms, c.completion.debounce_max_ms = 100, 250
    problems = config.apply_settings(c, {"completion": {"debounceMinMs": 400, "debounceMaxMs": 300},
                                         "router": {"retryMinS": 90}}, "t")
    assert len(problems) == 2, problems
    debounce, retry = problems
    assert "completion.debounceMinMs" in debounce and "completion.debounceMaxMs" in debounce
    assert "router.retryMinS" in retry and "router.retryMaxS" in retry
    assert (c.completion.debounce_min_ms, c.completion.debounce_max_ms) == (100, 250)
    assert (c.router.retry_min_s, c.router.retry_max_s) == (2.0, 60.0)


def test_every_ordered_pair_is_checked(tmp_path):
    for table, low, high in config.ORDERED_PAIRS:
        hi_value = getattr(getattr(config.Config(), table), high)
        settings = {table: {config.camel(low): hi_value + 1 if isinstance(hi_value, int) else hi_value + 0.5}}
        c, _, problems = config.load(settings, tmp_path / "none.toml")
        assert any(config.camel(low) in p and config.camel(high) in p for p in problems), (table, problems)
        assert getattr(getattr(c, table), low) == getattr(getattr(config.Config(), table), low)


def test_the_configuration_page_is_the_schema_rendered():
    """docs/configuration.md shows every setting with its real default, range and description."""
    from conftest import ROOT

    from ghostwright import config_docs

    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert page == config_docs.render(), (
        "docs/configuration.md differs from the schema in server/ghostwright/config.py; "
        f"regenerate it with `{config_docs.COMMAND}` "
        "(PYTHONPATH=server python -m ghostwright.config_docs > docs/configuration.md)")


def test_the_page_shows_each_setting_s_real_default_and_allowed_values():
    from ghostwright import config_docs

    page = config_docs.render()
    row = next(line for line in page.splitlines() if line.startswith("| `completion.maxTokens`"))
    assert "| integer | `64` | 1–1024 |" in row
    row = next(line for line in page.splitlines() if line.startswith("| `openvino.device`"))
    assert "`\"AUTO\"`" in row and "`AUTO`, `NPU`, `CPU`, `GPU`" in row
    row = next(line for line in page.splitlines() if line.startswith("| `router.escalateEmpty`"))
    assert "| boolean | `true` |" in row


def test_every_setting_carries_a_description():
    from dataclasses import fields, is_dataclass

    def leaves(obj):
        for f in fields(obj):
            value = getattr(obj, f.name)
            yield from leaves(value) if is_dataclass(value) else [f]

    undocumented = [f.name for f in leaves(config.Config()) if not f.metadata.get("doc")]
    assert undocumented == []


def test_context_exclude_takes_a_list_of_strings_and_refuses_anything_else():
    from ghostwright.config import Config, apply_settings

    config = Config()
    default = list(config.context.exclude)
    problems = apply_settings(config, {"context": {"exclude": ["build/", 3]}}, "test")
    assert problems == ["test: context.exclude: expected a list of strings, got ['build/', 3]; "
                        f"keeping {default!r}"] and config.context.exclude == default
    problems = apply_settings(config, {"context": {"exclude": "build/"}}, "test")
    assert "expected list, got str" in problems[0]
    assert apply_settings(config, {"context": {"exclude": ["build/"]}}, "test") == []
    assert config.context.exclude == ["build/"] and Config().context.exclude == default
