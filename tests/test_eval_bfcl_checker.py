"""BFCL AST checker rules, one crafted call at a time."""
from eval.bfcl_checker import (
    calls_from_gold,
    check_calls,
    check_one_call,
    standardize_string,
    type_matches,
    values_equal,
)

FUNCTIONS = [
    {
        "name": "book.flight",
        "description": "Book a flight.",
        "parameters": {
            "type": "dict",
            "properties": {
                "origin": {"type": "string"},
                "passengers": {"type": "integer"},
                "budget": {"type": "float"},
                "direct": {"type": "boolean"},
                "stops": {"type": "array", "items": {"type": "string"}},
                "prefs": {"type": "dict", "properties": {"seat": {"type": "string"}, "meal": {"type": "string"}}},
                "legs": {"type": "array", "items": {"type": "dict", "properties": {"to": {"type": "string"}, "day": {"type": "integer"}}}},
                "grid": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
                "payload": {"type": "any"},
            },
            "required": ["origin", "passengers"],
        },
    },
    {"name": "hotel.find", "parameters": {"type": "dict", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
]
GOLD = {"book.flight": {
    "origin": ["New York", "NYC"],
    "passengers": [2],
    "budget": [500.0, ""],
    "direct": [True, ""],
    "stops": [["Chicago", "Denver"], ""],
    "prefs": [{"seat": ["window"], "meal": ["veg", ""]}, ""],
    "legs": [[{"to": ["Chicago"], "day": [1]}, {"to": ["Denver"], "day": [2]}], ""],
    "grid": [[[1, 2], [3, 4]], ""],
    "payload": ["", "anything"],
}}


def check(arguments, name="book.flight"):
    return check_one_call(FUNCTIONS, {"name": name, "arguments": arguments}, GOLD)


def test_minimal_correct_call_passes_and_optional_params_may_be_omitted():
    assert check({"origin": "New York", "passengers": 2}).valid


def test_function_name_must_match():
    outcome = check({"origin": "NYC", "passengers": 2}, name="hotel.find")
    assert not outcome.valid and outcome.error_type == "wrong_func_name"


def test_required_param_missing_fails():
    outcome = check({"origin": "NYC"})
    assert outcome.error_type == "missing_required"


def test_unexpected_param_fails_even_if_in_schema_but_not_in_gold():
    functions = [dict(FUNCTIONS[0], parameters={**FUNCTIONS[0]["parameters"],
                                                 "properties": {**FUNCTIONS[0]["parameters"]["properties"], "class_": {"type": "string"}}})]
    outcome = check_one_call(functions, {"name": "book.flight", "arguments": {"origin": "NYC", "passengers": 2, "class_": "eco"}}, GOLD)
    assert outcome.error_type == "unexpected_param"
    assert check({"origin": "NYC", "passengers": 2, "color": "red"}).error_type == "unexpected_param"


def test_gold_param_without_empty_option_must_be_given():
    gold = {"book.flight": {**GOLD["book.flight"], "budget": [500.0]}}
    outcome = check_one_call(FUNCTIONS, {"name": "book.flight", "arguments": {"origin": "NYC", "passengers": 2}}, gold)
    assert outcome.error_type == "missing_optional"


def test_strings_compare_after_bfcl_normalisation():
    assert standardize_string("New-York, U.S.") == "newyorkus"
    assert check({"origin": "new york", "passengers": 2}).valid
    assert check({"origin": "N.Y.C", "passengers": 2}).valid
    outcome = check({"origin": "Boston", "passengers": 2})
    assert outcome.error_type == "value_error:string"


def test_int_is_accepted_for_float_but_not_the_reverse():
    assert check({"origin": "NYC", "passengers": 2, "budget": 500}).valid
    assert check({"origin": "NYC", "passengers": 2.0}).error_type == "type_error:simple"


def test_bool_is_not_an_int_and_string_is_not_a_number():
    assert check({"origin": "NYC", "passengers": True}).error_type == "type_error:simple"
    assert check({"origin": "NYC", "passengers": "2"}).error_type == "type_error:simple"
    assert check({"origin": "NYC", "passengers": 2, "direct": "true"}).error_type == "type_error:simple"


def test_wrong_value_of_right_type_fails():
    assert check({"origin": "NYC", "passengers": 3}).error_type == "value_error:others"
    assert check({"origin": "NYC", "passengers": 2, "budget": 499.5}).error_type == "value_error:others"


def test_lists_are_compared_in_order_with_normalised_strings():
    assert check({"origin": "NYC", "passengers": 2, "stops": ["chicago", "DENVER"]}).valid
    outcome = check({"origin": "NYC", "passengers": 2, "stops": ["Denver", "Chicago"]})
    assert outcome.error_type == "value_error:list/tuple"
    nested = check({"origin": "NYC", "passengers": 2, "stops": ["Chicago", 3]})
    assert nested.error_type == "type_error:nested"


def test_dicts_compare_key_by_key_with_optional_keys():
    assert check({"origin": "NYC", "passengers": 2, "prefs": {"seat": "Window"}}).valid
    assert check({"origin": "NYC", "passengers": 2, "prefs": {"seat": "window", "meal": "veg"}}).valid
    assert check({"origin": "NYC", "passengers": 2, "prefs": {"seat": "aisle"}}).error_type == "value_error:dict"
    assert not check({"origin": "NYC", "passengers": 2, "prefs": {"meal": "veg"}}).valid  # seat is not optional
    assert not check({"origin": "NYC", "passengers": 2, "prefs": {"seat": "window", "pet": "cat"}}).valid


def test_list_of_dicts_and_nested_lists():
    legs = [{"to": "chicago", "day": 1}, {"to": "Denver", "day": 2}]
    assert check({"origin": "NYC", "passengers": 2, "legs": legs}).valid
    assert not check({"origin": "NYC", "passengers": 2, "legs": legs[:1]}).valid
    assert not check({"origin": "NYC", "passengers": 2, "legs": [legs[0], {"to": "Denver", "day": 3}]}).valid
    assert check({"origin": "NYC", "passengers": 2, "grid": [[1, 2], [3, 4]]}).valid
    assert check({"origin": "NYC", "passengers": 2, "grid": [[1, 2], [3, 5]]}).error_type == "value_error:list/tuple"
    assert not check({"origin": "NYC", "passengers": 2, "grid": [[1, 2.5], [3, 4]]}).valid


def test_list_elements_of_the_gold_lists_own_type_pass_the_type_check():
    # BFCL data has integer-typed arrays whose gold holds strings; BFCL judges those by value.
    functions = [{"name": "sort", "parameters": {"type": "dict", "properties": {
        "elements": {"type": "array", "items": {"type": "integer"}}}, "required": ["elements"]}}]
    gold = [{"sort": {"elements": [["b", "a"]]}}]
    assert check_calls("simple_python", functions, [{"name": "sort", "arguments": {"elements": ["B", "a"]}}], gold).valid
    mixed = check_calls("simple_python", functions, [{"name": "sort", "arguments": {"elements": ["b", 1]}}], gold)
    assert mixed.error_type == "type_error:nested"


def test_any_type_accepts_any_value_but_still_checks_it():
    assert check({"origin": "NYC", "passengers": 2, "payload": "anything"}).valid
    assert not check({"origin": "NYC", "passengers": 2, "payload": "something else"}).valid


def test_value_of_the_gold_answers_own_type_is_judged_by_value():
    # BFCL's "variable" rule: gold holds a variable name where the schema wants a number.
    gold = {"book.flight": {"origin": ["NYC"], "passengers": ["n_people"]}}
    call = {"name": "book.flight", "arguments": {"origin": "NYC", "passengers": "n_people"}}
    assert check_one_call(FUNCTIONS, call, gold).valid


def test_type_matches_recursion():
    assert type_matches([1, 2.5], {"type": "array", "items": {"type": "float"}})
    assert not type_matches([1, "x"], {"type": "array", "items": {"type": "integer"}})
    assert type_matches([48.8, 2.3], {"type": "tuple", "items": {"type": "float"}})
    assert not values_equal(True, 1) and values_equal(1, 1.0)


def test_simple_category_needs_exactly_one_call():
    call = {"name": "book.flight", "arguments": {"origin": "NYC", "passengers": 2}}
    assert check_calls("simple_python", FUNCTIONS, [call], [GOLD]).valid
    assert check_calls("simple_python", FUNCTIONS, [call, call], [GOLD]).error_type == "wrong_count"
    assert check_calls("simple_python", FUNCTIONS, [], [GOLD]).error_type == "no_call"
    assert check_calls("multiple", FUNCTIONS, [call], [GOLD]).valid


PARALLEL_FUNCTIONS = [{"name": "play", "parameters": {"type": "dict", "properties": {
    "artist": {"type": "string"}, "minutes": {"type": "integer"}}, "required": ["artist"]}}]


def play(artist, minutes=None):
    arguments = {"artist": artist} if minutes is None else {"artist": artist, "minutes": minutes}
    return {"name": "play", "arguments": arguments}


def test_parallel_calls_match_one_to_one_in_any_order():
    gold = [{"play": {"artist": ["A"], "minutes": [20]}}, {"play": {"artist": ["B"], "minutes": [15]}}]
    assert check_calls("parallel", PARALLEL_FUNCTIONS, [play("B", 15), play("A", 20)], gold).valid
    twice = check_calls("parallel", PARALLEL_FUNCTIONS, [play("A", 20), play("A", 20)], gold)
    assert twice.error_type == "cannot_find_match"
    extra = check_calls("parallel", PARALLEL_FUNCTIONS, [play("A", 20), play("B", 15), play("C", 5)], gold)
    assert extra.error_type == "wrong_count"


def test_parallel_matching_is_not_greedy():
    # Gold 0 accepts A or B, gold 1 only A: a greedy matcher gives A to gold 0 and fails.
    gold = [{"play": {"artist": ["A", "B"]}}, {"play": {"artist": ["A"]}}]
    assert check_calls("parallel", PARALLEL_FUNCTIONS, [play("A"), play("B")], gold).valid


def test_irrelevance_passes_only_without_a_call():
    assert check_calls("irrelevance", FUNCTIONS, [], None).valid
    outcome = check_calls("irrelevance", FUNCTIONS, [play("A")], None)
    assert outcome.error_type == "irrelevance:made_call"


def test_gold_that_leaves_out_a_required_param_is_scored_with_a_note():
    gold = [{"book.flight": {"origin": ["NYC"]}}]  # passengers is required but absent from the gold
    outcome = check_calls("simple_python", FUNCTIONS, [{"name": "book.flight", "arguments": {"origin": "NYC"}}], gold)
    assert outcome.valid
    assert outcome.notes == ["gold answer leaves out required parameter 'passengers'"]
    wrong = check_calls("simple_python", FUNCTIONS, [{"name": "book.flight", "arguments": {"origin": "LA"}}], gold)
    assert not wrong.valid and wrong.notes


def test_odd_data_is_reported_not_raised():
    call = {"name": "book.flight", "arguments": {"origin": "NYC", "passengers": 2}}
    assert check_calls("simple_python", FUNCTIONS, [call], None).error_type == "gold:malformed"
    assert check_calls("simple_python", FUNCTIONS, [call], [{"a": {}, "b": {}}]).error_type == "gold:malformed"
    assert check_calls("simple_python", FUNCTIONS, [call], [{"missing.fn": {}}]).error_type == "gold:unknown_function"
    assert check_calls("simple_python", FUNCTIONS, [{"arguments": {}}], [GOLD]).error_type == "call:malformed"
    bad_args = {"name": "book.flight", "arguments": "not a dict"}
    assert check_calls("simple_python", FUNCTIONS, [bad_args], [GOLD]).error_type == "call:malformed"
    odd_schema = [{"name": "book.flight", "parameters": {"type": "dict", "properties": {"origin": "not a schema"}}}]
    assert check_calls("simple_python", odd_schema, [{"name": "book.flight", "arguments": {"origin": "NYC"}}],
                       [{"book.flight": {"origin": ["NYC"]}}]).valid


def test_calls_from_gold_gives_a_passing_answer_with_and_without_optionals():
    for include in (False, True):
        calls = calls_from_gold([GOLD], FUNCTIONS, include_optional=include)
        assert check_calls("simple_python", FUNCTIONS, calls, [GOLD]).valid
    assert "budget" not in calls_from_gold([GOLD], FUNCTIONS)[0]["arguments"]
    assert calls_from_gold([GOLD], FUNCTIONS, include_optional=True)[0]["arguments"]["prefs"] == {"seat": "window", "meal": "veg"}
