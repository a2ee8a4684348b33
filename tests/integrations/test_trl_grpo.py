"""One real ``GRPOTrainer`` step on swe-env episodes, on CPU, with no hub.

The model is a tiny random ``Qwen3ForCausalLM`` built from a config; the tokenizer a
byte-level BPE trained here on this repository's own source, with TRL's Qwen3 chat
template. A random model cannot fix a bug, so in each group one episode replays the gold
patch through the model (teacher forcing: the ids and logprobs are still the model's own)
and the other samples from it: the rewards differ within the group, and the step has a
gradient. Real containers, the real grader.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch  # the trl extra, which ./dev test installs: never skipped
import trl

from swe_env.env_config import SWEEnvConfig
from swe_env.images.build import ensure_images
from swe_env.integrations.hf_policy import TransformersPolicy
from swe_env.integrations.tiny import tiny_model, tiny_tokenizer
from swe_env.integrations.trl import SWEToolEnv, make_rollout_func, swe_dataset, swe_reward
from swe_env.policy.config import AgentConfig
from swe_env.policy.replay import ReplayPolicy
from swe_env.tasks import load_suite

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(1500)]

TASK = "demo/textkit-slug-trailing-separator"


class HiddenGrads:
    """Keeps the final hidden states (the last norm's output) of every forward pass that
    builds a graph. Position t's state feeds only the prediction of token t + 1 (no
    attention comes after it), so its grad is zero exactly when the loss ignores that
    prediction. (TRL's fused head never materialises the logits.)"""

    def __init__(self, model: torch.nn.Module) -> None:
        self.seen: list[tuple[torch.Tensor, torch.Tensor]] = []
        self._ids: torch.Tensor | None = None
        self.handles = [
            model.register_forward_pre_hook(self._inputs, with_kwargs=True),
            model.model.norm.register_forward_hook(self._hook),
        ]

    def _inputs(self, module, args, kwargs) -> None:
        self._ids = kwargs.get("input_ids", args[0] if args else None)

    def _hook(self, module, args, out) -> None:
        if out.requires_grad:
            out.retain_grad()
            self.seen.append((self._ids, out))

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


@pytest.fixture(scope="module")
def demo_images(docker_client) -> None:
    ensure_images([t for t in load_suite("demo") if t.full_id == TASK], docker_client)


def test_one_grpo_step_trains_on_model_tokens_only(tmp_path: Path, demo_images) -> None:
    tokenizer = tiny_tokenizer()
    model = tiny_model(len(tokenizer))
    task = next(t for t in load_suite("demo") if t.full_id == TASK)
    rows: list = []

    def make_policy(task, sample: int, trainer) -> TransformersPolicy:
        script = ReplayPolicy(task) if sample % 2 == 0 else None
        return TransformersPolicy(trainer.model, trainer.processing_class, script=script)

    rollout = make_rollout_func(
        [task], make_policy,
        env=SWEEnvConfig(suite="demo", max_turns=8),
        agent=AgentConfig(strict_format=True, max_observation_tokens=256),
        on_episode=lambda traj, flat: rows.append((traj, flat)),
    )  # fmt: skip
    args = trl.GRPOConfig(
        output_dir=str(tmp_path), per_device_train_batch_size=2, num_generations=2,
        max_steps=1, learning_rate=1e-2, use_cpu=True, report_to=[], beta=0.0,
        save_strategy="no", logging_steps=1, bf16=False, max_completion_length=4096,
    )  # fmt: skip
    grpo = trl.GRPOTrainer(
        model=model, reward_funcs=[swe_reward], args=args, train_dataset=swe_dataset([task]),
        processing_class=tokenizer, rollout_func=rollout,
    )  # fmt: skip
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    grads = HiddenGrads(model)
    grpo.train()
    grads.remove()

    # the episodes: one replayed gold (resolved), one sampled (not); real ids throughout
    assert len(rows) == 2
    rewards = sorted(traj.reward for traj, _ in rows)
    assert rewards == [0.0, 1.0], [(t.status, t.reward, t.truncation) for t, _ in rows]
    for traj, flat in rows:
        assert len(flat.completion_ids) == len(flat.env_mask) == len(flat.logprobs)
        sampled = [i for i, m in zip(flat.completion_ids, flat.env_mask, strict=True) if m]
        assert sampled == [i for s in traj.steps for i in s.token_ids]
    # the parameters changed
    changed = [n for n, p in model.named_parameters() if not torch.equal(p.detach(), before[n])]
    assert changed, "no parameter changed"
    # environment tokens carried no gradient; model tokens did
    assert grads.seen, "no forward pass with a graph was seen"
    ids, hidden = grads.seen[-1]
    _check_mask(ids, hidden.grad.abs().sum(-1), rows)


def _check_mask(ids: torch.Tensor, per_position: torch.Tensor, rows: list) -> None:
    """Completion token j of a row is predicted at position P + j - 1 (P: the padded
    prompt length): its state's grad is zero under mask 0, and not all zero under mask 1.
    TRL shuffles the batch, so each batch row is matched to its episode by its ids."""
    seq = per_position.shape[1]
    width = max(len(f.completion_ids) for _, f in rows)
    start = seq - width - 1  # completions are right-padded to the widest
    matched = env_tokens = 0
    for b in range(ids.shape[0]):
        row_ids = ids[b].tolist()
        for _, flat in rows:
            n = len(flat.completion_ids)
            if row_ids[start + 1 : start + 1 + n] != flat.completion_ids:
                continue
            matched += 1
            mask = flat.env_mask
            env = [start + j for j in range(n) if mask[j] == 0]
            own = [start + j for j in range(n) if mask[j] == 1]
            env_tokens += len(env)
            assert float(per_position[b, env].sum()) == 0.0 if env else True
            assert own and float(per_position[b, own].sum()) > 0.0
    assert matched == ids.shape[0] == len(rows)
    assert env_tokens > 0  # the multi-turn (gold) episode has observations in its completion


def _tool_call(command: str) -> str:
    call = {"name": "bash", "arguments": {"command": command}}
    return f"<tool_call>\n{json.dumps(call)}\n</tool_call>"


def test_environment_factory_tools_reach_a_container(tmp_path: Path, demo_images) -> None:
    """TRL's own tool loop with :class:`SWEToolEnv`: the generation is scripted (a random
    model emits no tool calls): in each group one completion applies the gold patch
    through ``bash``, the other only lists files; ``get_reward`` grades each."""
    from trl.chat_template_utils import add_response_schema

    tokenizer = add_response_schema(tiny_tokenizer())
    model = tiny_model(len(tokenizer))
    task = next(t for t in load_suite("demo") if t.full_id == TASK)
    patch = f"cat > /tmp/gold.patch <<'EOF'\n{task.gold_patch}EOF\n"
    apply_gold = patch + "git apply /tmp/gold.patch && echo applied"
    scripts = [_tool_call(apply_gold), _tool_call("ls")]
    calls: list[int] = []
    envs: list[SWEToolEnv] = []
    eos = tokenizer.convert_tokens_to_ids("<|im_end|>")

    def generate(prompt_ids, images, multimodal_fields, num_generations, has_tool_images=False):
        calls.append(len(prompt_ids))
        if len(calls) == 1:  # the first turn of both rollouts: one tool call each
            texts = [scripts[i % 2] for i in range(len(prompt_ids))]
        else:  # after the tool results: a plain answer ends the rollout
            texts = ["done"] * len(prompt_ids)
        ids = [[*tokenizer.encode(t, add_special_tokens=False), eos] for t in texts]
        return ids, None

    def factory() -> SWEToolEnv:
        envs.append(SWEToolEnv(suite="demo"))
        return envs[-1]

    args = trl.GRPOConfig(
        output_dir=str(tmp_path), per_device_train_batch_size=2, num_generations=2,
        max_steps=1, learning_rate=1e-2, use_cpu=True, report_to=[], beta=0.0,
        save_strategy="no", bf16=False, max_completion_length=2048,
    )  # fmt: skip
    grpo = trl.GRPOTrainer(
        model=model, args=args, train_dataset=swe_dataset([task]),
        processing_class=tokenizer, environment_factory=factory,
    )  # fmt: skip
    grpo._generate_single_turn = generate
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    grpo.train()
    assert len(calls) >= 2
    graded = sorted(e.last_reward for e in envs if e.last_reward is not None)
    assert graded == [0.0, 1.0], graded
    changed = [n for n, p in model.named_parameters() if not torch.equal(p.detach(), before[n])]
    assert changed
