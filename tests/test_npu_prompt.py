"""On the NPU a prompt longer than MAX_PROMPT_LEN raises: prompts are cut to fit, keeping the cursor's lines."""

from __future__ import annotations

import pytest

from conftest import requires_model
from ghostwright.models import store as model_store
from ghostwright.backends.base import GenerationRequest
from ghostwright.backends.openvino import fit_prompt, pipeline_properties
from ghostwright.config import OpenVinoConfig
from ghostwright.context.prompts import TEMPLATES

pytestmark = requires_model
QWEN = TEMPLATES["qwen2.5-coder"]


@pytest.fixture(scope="module")
def count():
    import openvino_genai

    tok = openvino_genai.Tokenizer(str(model_store.default_model_path()))
    return lambda text: len(tok.encode(text, add_special_tokens=False).input_ids.data[0])


def test_a_long_prompt_is_cut_to_the_limit_keeping_the_lines_around_the_cursor(count):
    prefix = "".join(f"value_{i} = compute({i}, scale={i * 3})\n" for i in range(300)) + "total = "
    suffix = "\n" + "".join(f"print(value_{i})\n" for i in range(200))
    request = GenerationRequest(QWEN.render(prefix, suffix), 32, 0.0, prefix=prefix, suffix=suffix)
    assert count(request.prompt) > 3000
    prompt = fit_prompt(request, QWEN, count, 1024)
    assert count(prompt) <= 1024
    assert prompt.startswith("<|fim_prefix|>value_") and prompt.endswith("<|fim_middle|>")
    assert "value_299 = compute(299, scale=897)\ntotal = <|fim_suffix|>\nprint(value_0)\n" in prompt


def test_a_prompt_that_fits_is_left_alone(count):
    request = GenerationRequest(QWEN.render("x = ", "\n"), 8, 0.0, prefix="x = ", suffix="\n")
    assert fit_prompt(request, QWEN, count, 1024) == request.prompt


def test_npu_compile_properties_come_from_the_config_and_the_cache_is_the_users():
    props = pipeline_properties(OpenVinoConfig(max_prompt_len=2048, min_response_len=64), "NPU")
    assert props["MAX_PROMPT_LEN"] == 2048 and props["MIN_RESPONSE_LEN"] == 64
    assert props["GENERATE_HINT"] == "BEST_PERF" and props["CACHE_DIR"].endswith("ghostwright/npu-compiled")
    # The CPU gets a bounded kernel cache (memory), nothing else.
    assert pipeline_properties(OpenVinoConfig(), "CPU") == {"CPU_RUNTIME_CACHE_CAPACITY": 32}


def test_other_files_go_before_any_line_of_the_current_one(count):
    from ghostwright.context.prompts import RepoFiles

    prefix = "".join(f"value_{i} = compute({i})\n" for i in range(60)) + "total = "
    suffix = "\nprint(total)\n"
    files = RepoFiles("repo", "main.py", tuple((f"lib/mod_{k}.py", "".join(
        f"def helper_{k}_{i}(a, b):\n    ...\n" for i in range(10))) for k in range(3)))
    request = GenerationRequest(QWEN.render(prefix, suffix, files), 32, 0.0, prefix=prefix, suffix=suffix, files=files)
    whole_file = count(QWEN.render(prefix, suffix))
    assert count(request.prompt) > whole_file + 300
    one_file = count(QWEN.render(prefix, suffix, RepoFiles("repo", "main.py", files.files[2:])))
    prompt = fit_prompt(request, QWEN, count, one_file)
    assert count(prompt) <= one_file
    assert "<|fim_prefix|>" + prefix + "<|fim_suffix|>" + suffix + "<|fim_middle|>" in prompt  # all of it
    assert "lib/mod_0.py" not in prompt and "<|file_sep|>lib/mod_2.py\ndef helper_2_0(a, b):" in prompt
