"""A tiny random language model that needs no hub: a byte-level BPE tokenizer trained on
this package's own source, with TRL's Qwen3 chat template, and a randomly initialised
``Qwen3ForCausalLM`` a few hundred kilobytes large. It cannot solve anything; it gives
real token ids, real logprobs and a real gradient, which is what a smoke test of a
training loop (the tests, ``examples/trl_grpo.py``, ``bench/trainer_rollout.py``)
needs on a CPU. Needs the ``trl`` extra.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Any

__all__ = ["SPECIALS", "tiny_model", "tiny_tokenizer"]

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"]


def tiny_tokenizer(vocab_size: int = 1500) -> Any:
    """A ``PreTrainedTokenizerFast``: BPE over swe_env's source, Qwen3 chat template,
    ``<|im_end|>`` as end of turn, left padding."""
    import transformers
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    source = Path(__file__).resolve().parents[1]
    corpus = [p.read_text(encoding="utf-8") for p in sorted(source.rglob("*.py"))]
    bpe = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus, bpe)
    template = importlib.resources.files("trl").joinpath("chat_templates/qwen3.jinja")
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        padding_side="left",
        chat_template=template.read_text(encoding="utf-8"),
    )


def tiny_model(vocab_size: int, seed: int = 0) -> Any:
    """A random two-layer ``Qwen3ForCausalLM`` (hidden size 32) for ``vocab_size``."""
    import torch
    import transformers

    torch.manual_seed(seed)
    config = transformers.Qwen3Config(
        vocab_size=vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=16,
        max_position_embeddings=65536,
        tie_word_embeddings=True,
    )
    return transformers.Qwen3ForCausalLM(config)
