"""Re-quantize a GGUF file to Q8_0 so OpenVINO GenAI can load it (it cannot read Q5_0)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

def requantize_q8_0(
    src: Path,
    dst: Path,
    extra_metadata: dict[str, str] | None = None,
    log: Callable[[str], None] = lambda _msg: None,
) -> None:
    """Write `dst`: `src` with every tensor OpenVINO cannot read (and every k-quant) as Q8_0.

    Q8_0 is near-lossless against the source quantization, so this changes the model's
    answers less than any other type OpenVINO reads, at about the size of F16/2.
    """
    import gguf  # conversion-only dependency, imported late so the server never needs it
    from gguf import GGMLQuantizationType as Q

    reader = gguf.GGUFReader(str(src))
    arch = reader.fields["general.architecture"].contents()
    writer = gguf.GGUFWriter(str(dst), arch=arch)
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key in ("general.architecture", "general.file_type"):
            continue
        if extra_metadata and key in extra_metadata:
            continue
        kind = field.types[0]
        if kind == gguf.GGUFValueType.ARRAY:
            writer.add_key_value(key, field.contents(), kind, sub_type=field.types[-1])
        else:
            writer.add_key_value(key, field.contents(), kind)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0)
    for key, value in (extra_metadata or {}).items():
        writer.add_string(key, value)

    converted = 0
    for tensor in reader.tensors:
        kind = tensor.tensor_type
        if kind in (Q.F32, Q.F16, Q.Q8_0):
            raw_shape = tensor.data.shape if kind != Q.Q8_0 else None
            writer.add_tensor(tensor.name, tensor.data, raw_shape=raw_shape, raw_dtype=kind)
            continue
        values = gguf.quants.dequantize(tensor.data, kind)
        writer.add_tensor(tensor.name, gguf.quants.quantize(values, Q.Q8_0), raw_dtype=Q.Q8_0)
        converted += 1
    log(f"re-quantized {converted} of {len(reader.tensors)} tensors to Q8_0")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
