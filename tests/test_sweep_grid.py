"""Grid parsing: the cartesian product in written order, aliases, and every error message."""

import pytest

from multiclass.exceptions import ConfigError
from multiclass.sweep import expand_grid, parse_grid
from multiclass.training import TrainConfig


def _expand(grid, **kwargs):
    return expand_grid(grid, TrainConfig(verbose=False), n_features=4, n_classes=3, **kwargs)


def test_one_string_repeated_strings_and_a_mapping_agree():
    expected = {"lr": [1e-3, 3e-3], "l2": [0.0, 1e-4]}
    assert parse_grid("lr=1e-3,3e-3;l2=0,1e-4") == expected
    assert parse_grid(["lr=1e-3,3e-3", "l2=0,1e-4"]) == expected
    assert parse_grid(" lr = 1e-3, 3e-3 ; l2=0,1e-4; ") == expected
    assert parse_grid({"lr": [1e-3, 3e-3], "l2": [0.0, 1e-4]}) == expected
    assert parse_grid(None) == {} and parse_grid([]) == {}


def test_value_types_and_aliases():
    grid = parse_grid("seed=0,1;batch=16,32;patience=3,none;hidden=25x15,8,none;activation=relu,tanh;dropout=0,0.2")
    assert grid == {"seed": [0, 1], "batch_size": [16, 32], "patience": [3, None], "hidden": [(25, 15), (8,), ()],
                    "activation": ["relu", "tanh"], "dropout": [0.0, 0.2]}


def test_cartesian_product_in_written_order_last_key_fastest():
    trials = _expand("lr=0.1,0.2;seed=0,1,2")
    assert len(trials) == 6
    assert [dict(t.params) for t in trials[:2]] == [{"lr": 0.1, "seed": 0}, {"lr": 0.1, "seed": 1}]
    assert [(t.train_config.lr, t.train_config.seed) for t in trials] == [
        (0.1, 0), (0.1, 1), (0.1, 2), (0.2, 0), (0.2, 1), (0.2, 2)]
    assert trials[4].label() == "lr=0.2 seed=1"


def test_model_keys_set_the_model_config_and_group_stacks():
    trials = _expand("hidden=8,4x4;dropout=0,0.5;batch_size=16,32", hidden=(25, 15), activation="tanh")
    assert {t.model_config.hidden for t in trials} == {(8,), (4, 4)}
    assert all(t.model_config.activation == "tanh" and t.model_config.n_classes == 3 for t in trials)
    assert len({t.stack_key for t in trials}) == 4  # 2 shapes x 2 batch sizes; dropout does not split stacks
    assert trials[0].train_config.batch_size == 16 and trials[1].train_config.batch_size == 32


def test_no_grid_is_the_base_configuration():
    (trial,) = _expand(None, hidden=(7,), dropout=0.1)
    assert trial.params == () and trial.label() == "base"
    assert trial.model_config.hidden == (7,) and trial.model_config.dropout == 0.1


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ("foo=1", r"`grid` key must be one of \[.*'lr'.*\]; got 'foo'\."),
        ("lr", r"`grid` entries must look like key=value1,value2; got 'lr'\."),
        ("=1,2", r"`grid` entries must look like key=value1,value2; got '=1,2'\."),
        ("lr=1;lr=2", r"`grid` names the key 'lr' twice; list all its values once: lr=a,b\."),
        (["batch=8", "batch_size=16"], r"`grid` names the key 'batch_size' twice"),
        ("lr=", r"grid key `lr` needs comma-separated values; got ''\."),
        ("lr=1,,2", r"grid key `lr` needs comma-separated values; got '1,,2'\."),
        ("lr=abc", r"grid key `lr` values must each be a number such as 1e-3; got 'abc'\."),
        ("seed=0,1.5", r"grid key `seed` values must each be an integer; got '1.5'\."),
        ("patience=x", r"grid key `patience` values must each be an integer or 'none'; got 'x'\."),
        ("hidden=25,15x", (r"grid key `hidden` values must each be widths joined by 'x' such as 25x15, or 'none'; "
                           r"got '15x'\.")),
        ("lr=0.1,0.1", r"grid key `lr` lists the value '0.1' twice\."),
        ({"lr": []}, r"grid key `lr` needs at least one value; got none\."),
    ],
)
def test_parse_errors_name_the_key_and_value(grid, message):
    with pytest.raises(ConfigError, match=message):
        parse_grid(grid)


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ("lr=1e-3,-1", r"grid key `lr`: `lr` must be a finite number > 0; got -1\.0\."),
        ("l2=-0.5", r"grid key `l2`: `l2` must be a finite number >= 0; got -0\.5\."),
        ("dropout=0,1", r"grid key `dropout`: `dropout` must be a float in \[0, 1\); got 1\.0\."),
        ("batch=0", r"grid key `batch_size`: `batch_size` must be an integer >= 1; got 0\."),
        ("label_smoothing=2", r"grid key `label_smoothing`: `label_smoothing` must be in \[0, 1\]; got 2\.0\."),
        ("activation=relu,swish", r"grid key `activation`: `activation` must be one of \[.*\]; got 'swish'\."),
        ("hidden=0", r"grid key `hidden`: `hidden` sizes must all be positive integers; got \(0,\)\."),
        ({"hidden": [25]}, r"grid key `hidden` values must each be widths joined by 'x'.*; got 25\."),
    ],
)
def test_values_are_checked_by_their_config_field(grid, message):
    with pytest.raises(ConfigError, match=message):
        _expand(grid)
