"""Training configs: every shipped recipe and accelerate config loads; bad files fail clearly."""
from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from training.config import RECIPES_DIR, ConfigError, TrainConfig, config_to_yaml, load_config

ACCELERATE_DIR = Path(__file__).resolve().parents[1] / "training" / "accelerate"
RECIPES = sorted(RECIPES_DIR.glob("*.yaml"))


def test_the_expected_recipes_ship():
    names = {recipe.stem for recipe in RECIPES}
    assert {"lora_toolcall", "qlora_toolcall", "full_sft", "pretrain_text", "smoke"} <= names


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda path: path.stem)
def test_every_shipped_recipe_loads(recipe):
    config = load_config(recipe)
    assert config.name == recipe.stem
    assert config.data or config.public_sets
    assert TrainConfig(**config.model_dump()) == config  # round-trips
    assert load_config(recipe.stem) == config  # a recipe by name


def test_recipe_contents_match_their_names():
    assert load_config("qlora_toolcall").method == "qlora"
    assert load_config("full_sft").method == "full"
    pretrain = load_config("pretrain_text")
    assert pretrain.task == "pretrain" and pretrain.data_format == "text"
    smoke = load_config("smoke")
    assert smoke.max_steps and smoke.max_steps <= 10 and smoke.bf16 == "auto"


def test_output_goes_under_lingxi_home(lingxi_home):
    config = load_config("smoke")
    assert config.out_dir == lingxi_home / "runs" / "smoke"
    assert load_config("smoke", output_dir="/tmp/elsewhere").out_dir == Path("/tmp/elsewhere")
    assert TrainConfig(method="full").out_dir == lingxi_home / "runs" / "full-sft"


def test_overrides_and_comma_separated_modules(tmp_path):
    config = load_config("lora_toolcall", lr=1e-4, lora_target_modules="q_proj, v_proj", max_steps=None)
    assert config.lr == 1e-4 and config.lora_target_modules == ["q_proj", "v_proj"]
    assert config.max_steps is None


def test_unknown_and_bad_fields_are_named(tmp_path):
    file = tmp_path / "bad.yaml"
    file.write_text("method: lora\nlearning_rate: 0.1\nbatch_size: 0\nmethod_x: 1\n")
    with pytest.raises(ConfigError) as error:
        load_config(file)
    message = str(error.value)
    assert str(file) in message and "learning_rate" in message and "batch_size" in message


def test_inconsistent_task_and_data(tmp_path):
    file = tmp_path / "bad.yaml"
    file.write_text("task: pretrain\npublic_sets: default\n")
    with pytest.raises(ConfigError, match="public_sets and tool_use are conversations"):
        load_config(file)


def test_unreadable_files(tmp_path):
    with pytest.raises(ConfigError, match="shipped recipe: .*smoke"):
        load_config(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("method: [lora\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(broken)
    listed = tmp_path / "list.yaml"
    listed.write_text("- lora\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(listed)
    with pytest.raises(ConfigError, match="a run name"):
        load_config("smoke", name="../escape")


def test_inputs_are_checked_before_loading(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="no training data"):
        TrainConfig().check_inputs()
    with pytest.raises(ConfigError, match="data file not found"):
        TrainConfig(data=[str(tmp_path / "none.jsonl")]).check_inputs()
    monkeypatch.setenv("LINGXI_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(ConfigError, match="LINGXI_DATA_DIR"):
        TrainConfig(public_sets="default").check_inputs()
    with pytest.raises(ConfigError, match="tool_use_public_chat needs .*nowhere.*train_toolcall"):
        TrainConfig(tool_use_public_chat=True).check_inputs()
    with pytest.raises(ConfigError, match="tool_use_gsm8k needs .*gsm8k"):
        TrainConfig(tool_use=4, tool_use_gsm8k=2).check_inputs()
    (tmp_path / "d.jsonl").write_text("{}\n")
    monkeypatch.setenv("MYDATA", str(tmp_path))
    TrainConfig(data=["$MYDATA/d.jsonl"]).check_inputs()


def test_config_yaml_round_trip(tmp_path):
    config = load_config("lora_toolcall", lora_target_modules="q_proj,v_proj")
    file = tmp_path / "again.yaml"
    file.write_text(config_to_yaml(config))
    assert load_config(file) == config


def test_every_field_is_described():
    assert all(field.description for field in TrainConfig.model_fields.values())


@pytest.mark.parametrize("file", sorted(ACCELERATE_DIR.glob("*.yaml")), ids=lambda path: path.stem)
def test_accelerate_configs_parse(file):
    from accelerate.commands.config.config_args import ClusterConfig, load_config_from_file
    from accelerate.utils import DistributedType

    config = load_config_from_file(str(file))
    assert isinstance(config, ClusterConfig)
    assert config.mixed_precision == "bf16" and config.num_processes >= 2
    if config.distributed_type == DistributedType.DEEPSPEED:
        assert config.deepspeed_config["zero_stage"] in (2, 3)
    elif config.distributed_type == DistributedType.FSDP:
        from accelerate.utils import FullyShardedDataParallelPlugin

        renamed = {"version": "fsdp_version", "offload_params": "cpu_offload"}  # as `accelerate launch` maps them
        options = {renamed.get(key.removeprefix("fsdp_"), key.removeprefix("fsdp_")): value
                   for key, value in config.fsdp_config.items()}
        # (building the plugin needs a GPU; its parameters are checked instead)
        known = set(inspect.signature(FullyShardedDataParallelPlugin.__init__).parameters)
        assert set(options) <= known, set(options) - known
        assert options["use_orig_params"]  # LoRA: frozen and trainable weights in one wrapped layer
    else:
        assert config.distributed_type == DistributedType.MULTI_GPU


def test_all_distribution_kinds_ship():
    names = {file.stem for file in ACCELERATE_DIR.glob("*.yaml")}
    assert {"multi_gpu", "deepspeed_zero2", "deepspeed_zero3", "fsdp"} <= names


def test_bf16_auto_follows_the_hardware_and_an_explicit_choice_wins():
    from training.config import native_bf16

    assert TrainConfig().bf16 == "auto" and TrainConfig().use_bf16 is native_bf16()
    assert TrainConfig(bf16=True).use_bf16 is True and TrainConfig(bf16=False).use_bf16 is False
