"""MMLU (Hendrycks et al.): `<data>/mmlu/<split>/<subject>_<split>.csv`, header
`question,choice0,choice1,choice2,choice3,answer` with the answer as 0-3 (a headerless file
with a letter answer reads too). Categories: the four groups of the MMLU paper."""
from __future__ import annotations

from eval.mc import MultipleChoiceBenchmark

GROUPS = {
    "STEM": (
        "abstract_algebra astronomy college_biology college_chemistry college_computer_science "
        "college_mathematics college_physics computer_security conceptual_physics electrical_engineering "
        "elementary_mathematics high_school_biology high_school_chemistry high_school_computer_science "
        "high_school_mathematics high_school_physics high_school_statistics machine_learning"
    ),
    "humanities": (
        "formal_logic high_school_european_history high_school_us_history high_school_world_history "
        "international_law jurisprudence logical_fallacies moral_disputes moral_scenarios philosophy "
        "prehistory professional_law world_religions"
    ),
    "social sciences": (
        "econometrics high_school_geography high_school_government_and_politics high_school_macroeconomics "
        "high_school_microeconomics high_school_psychology human_sexuality professional_psychology "
        "public_relations security_studies sociology us_foreign_policy"
    ),
    "other": (
        "anatomy business_ethics clinical_knowledge college_medicine global_facts human_aging management "
        "marketing medical_genetics miscellaneous nutrition professional_accounting professional_medicine virology"
    ),
}
SUBJECT_GROUP = {subject: group for group, names in GROUPS.items() for subject in names.split()}


class MMLU(MultipleChoiceBenchmark):
    name = "mmlu"
    folder = "mmlu"
    language = "en"

    def category_of(self, subject: str) -> str:
        return SUBJECT_GROUP.get(subject, "other")
