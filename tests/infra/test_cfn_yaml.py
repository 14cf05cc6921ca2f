"""template.yaml -> JSON: short-form tags become long form, anchors disappear."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.cfn_yaml import load_template, yaml_to_json

ROOT = Path(__file__).resolve().parents[2]

SAMPLE = """
Parameters:
  Stage: {Type: String}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  Shared: &shared
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: !Sub "kl-${Stage}"
  Copy: *shared
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Join ["-", [kl, !Select [0, !Split [",", "a,b"]]]]
      Tags:
        - Key: arn
          Value: !GetAtt Shared.TopicArn
        - Key: if
          Value: !If [IsProd, !Sub ["${X}", {X: !Ref Stage}], !Base64 plain]
        - Key: nested
          Value: !GetAtt [Shared, TopicName]
"""


def test_short_form_tags_become_long_form(tmp_path: Path) -> None:
    source = tmp_path / "t.yaml"
    source.write_text(SAMPLE)
    data = load_template(source)
    tags = data["Resources"]["Queue"]["Properties"]["Tags"]
    assert data["Conditions"]["IsProd"] == {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}
    assert tags[0]["Value"] == {"Fn::GetAtt": ["Shared", "TopicArn"]}
    assert tags[1]["Value"] == {"Fn::If": ["IsProd", {"Fn::Sub": ["${X}", {"X": {"Ref": "Stage"}}]},
                                           {"Fn::Base64": "plain"}]}
    assert tags[2]["Value"] == {"Fn::GetAtt": ["Shared", "TopicName"]}
    assert data["Resources"]["Queue"]["Properties"]["QueueName"] == {
        "Fn::Join": ["-", ["kl", {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]}]]}


def test_anchors_are_expanded_in_the_json(tmp_path: Path) -> None:
    source, target = tmp_path / "t.yaml", tmp_path / "t.json"
    source.write_text(SAMPLE)
    yaml_to_json(source, target)
    data = json.loads(target.read_text())
    assert data["Resources"]["Copy"] == data["Resources"]["Shared"]
    assert "&shared" not in target.read_text() and "*shared" not in target.read_text()


def test_real_template_converts_without_a_short_tag_left(tmp_path: Path) -> None:
    target = tmp_path / "template.json"
    yaml_to_json(ROOT / "template.yaml", target)
    text = target.read_text()
    assert '"!' not in text, "a short-form tag survived the conversion"
    assert json.loads(text)["Resources"]["UsersTable"]["Type"] == "AWS::DynamoDB::Table"


def test_a_file_without_resources_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "t.yaml"
    source.write_text("Parameters: {}\n")
    with pytest.raises(ValueError, match="not a CloudFormation template"):
        load_template(source)
