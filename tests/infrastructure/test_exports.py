"""No export's value depends on a CloudFormation parameter.

CloudFormation refuses to change an export another stack imports ("Export ... cannot be updated
as it is in use"), so an exported parameter could never be changed again after the first deploy.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.infrastructure.conftest import ALL_STACKS, Synth

_SUB_NAME = re.compile(r"\$\{([^}!][^}]*)\}")


def parameters_in(value: Any, template: dict[str, Any]) -> set[str]:
    """The template parameters `value` reads, through Ref, Fn::Sub, Fn::If's condition and any
    function nesting them (Fn::Join, Fn::Select, Fn::Split, ...); pseudo parameters are left out."""
    parameters = set(template.get("Parameters", {}))
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= parameters_in(item, template)
    elif isinstance(value, dict):
        for key, argument in value.items():
            if key == "Ref" and argument in parameters:
                found.add(argument)
            elif key == "Fn::Sub":
                text, variables = (argument, {}) if isinstance(argument, str) else argument
                names = set(_SUB_NAME.findall(text)) - set(variables)
                found |= names & parameters
                found |= parameters_in(variables, template)
            elif key == "Fn::If":
                condition = template["Conditions"][argument[0]]
                found |= parameters_in(condition, template) | parameters_in(argument[1:], template)
            elif key == "Condition" and isinstance(argument, str):
                found |= parameters_in(template["Conditions"][argument], template)
            else:
                found |= parameters_in(argument, template)
    return found


def test_the_reader_sees_parameters_through_functions() -> None:
    template = {"Parameters": {"EventId": {}}, "Conditions": {"C": {"Fn::Equals": [{"Ref": "EventId"}, ""]}}}
    assert parameters_in({"Fn::Join": ["", ["x", {"Ref": "EventId"}]]}, template) == {"EventId"}
    assert parameters_in({"Fn::Sub": "a-${EventId}-${AWS::Region}"}, template) == {"EventId"}
    assert parameters_in({"Fn::If": ["C", "a", "b"]}, template) == {"EventId"}
    assert parameters_in({"Ref": "AWS::Region"}, template) == set()


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_no_export_depends_on_a_parameter(synth: Synth, stack: str) -> None:
    template = synth.template(stack)
    locked = {
        name: sorted(parameters_in(output, template))
        for name, output in template.get("Outputs", {}).items()
        if "Export" in output and parameters_in(output, template)
    }
    assert locked == {}
