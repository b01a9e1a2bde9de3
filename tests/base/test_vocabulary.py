"""The vocabulary is the one home of every name: the core's maps and the config schema
must list exactly its names."""

import yaml

from nnbench import vocabulary
from nnbench.config import SCHEMA_PATH


def _schema():
    return yaml.safe_load(SCHEMA_PATH.read_text())


def test_core_registries_use_the_vocabulary_names():
    from nnbench.core import ACTIVATIONS, INITIALIZERS, OPTIMIZERS
    from nnbench.core.network import DTYPES

    assert set(OPTIMIZERS) == set(vocabulary.OPTIMIZERS)
    assert set(ACTIVATIONS) == set(vocabulary.ACTIVATIONS)
    assert set(INITIALIZERS) == set(vocabulary.INITIALIZERS)
    assert set(DTYPES) == set(vocabulary.DTYPES)


def test_data_registry_uses_the_vocabulary_names():
    from nnbench.data import DATASETS

    assert tuple(DATASETS) == vocabulary.DATASETS


def test_schema_enumerations_equal_the_vocabulary():
    values = _schema()["$defs"]["value"]
    assert values["kind"]["enum"] == list(vocabulary.RUN_KINDS)
    assert values["dataset"]["enum"] == list(vocabulary.DATASETS)
    assert set(values["activation"]["enum"]) == set(vocabulary.ACTIVATIONS)
    assert set(values["optimizer_name"]["anyOf"][0]["enum"]) == set(vocabulary.OPTIMIZERS)
    from nnbench.core.optimizers import IMPORT_PATH

    assert values["optimizer_name"]["anyOf"][1]["pattern"] == IMPORT_PATH.pattern
    assert set(values["diagnostics"]["items"]["enum"]) == set(vocabulary.DIAGNOSTICS)
    named_inits = values["init"]["anyOf"][0]["enum"]
    assert set(named_inits) == set(vocabulary.INITIALIZERS)
    schema = _schema()
    study_names = schema["properties"]["studies"]["propertyNames"]["anyOf"]
    assert study_names[0]["enum"] == list(vocabulary.STUDIES)
    assert study_names[1]["pattern"] == vocabulary.USER_STUDY_PATTERN
    assert schema["$defs"]["fixed"]["properties"]["dtype"]["enum"] == list(vocabulary.DTYPES)
    assert schema["$defs"]["study"]["properties"]["tune"]["properties"]["goal"]["enum"] == list(vocabulary.GOALS)


def test_every_dataset_has_an_input_size():
    assert set(vocabulary.INPUT_SIZES) == set(vocabulary.DATASETS)


def test_aliases_point_at_real_keys():
    from nnbench.spec import SPEC_KEYS

    for alias, key in vocabulary.KEY_ALIASES.items():
        assert key.split(".")[0] in SPEC_KEYS, (alias, key)
        assert alias not in SPEC_KEYS
