"""The entry path: POST /assign_queue_num goes from API Gateway straight onto SQS, no Lambda.

API Gateway validates the body against a JSON schema (`event_id` matching the wiring table's
pattern), refuses any content type but `catalog.ENTRY_CONTENT_TYPES` with 415, writes the message
the worker reads (`event_id`, `request_id` = the API request id, `entered_at` = epoch ms) and
answers 200 `{"api_request_id": ...}` at once. The API request id is the visitor's bearer secret.
"""

from __future__ import annotations

import json

from aws_cdk import Aws, Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

import mapping_templates
from lambdas import catalog
from stacks.constructs.queues import secure_queue

# The message the worker parses (fields of catalog.ENTRY_MESSAGE_FIELDS plus `pow`, the proof of work
# as posted or null) and the answer, written by API Gateway from the request with these templates.
REQUEST_TEMPLATE = mapping_templates.read(mapping_templates.ENTRY_REQUEST)
RESPONSE_TEMPLATE = mapping_templates.read(mapping_templates.ENTRY_RESPONSE)
ENTRY_SCHEMA = apigw.JsonSchema(
    schema=apigw.JsonSchemaVersion.DRAFT4,
    title="AssignQueueNum",
    type=apigw.JsonSchemaType.OBJECT,
    required=["event_id"],
    properties={
        "event_id": apigw.JsonSchema(
            type=apigw.JsonSchemaType.STRING,
            min_length=1,
            max_length=catalog.EVENT_ID_MAX_LENGTH,
            pattern=catalog.EVENT_ID_PATTERN,
        ),
        catalog.ENTRY_POW_FIELD: apigw.JsonSchema(
            type=apigw.JsonSchemaType.OBJECT,
            required=list(catalog.POW_FIELDS),
            additional_properties=False,
            properties={
                name: apigw.JsonSchema(type=apigw.JsonSchemaType.STRING, min_length=1, max_length=length)
                for name, length in catalog.POW_FIELDS.items()
            },
        ),
    },
)
_CORS = {"method.response.header.Access-Control-Allow-Origin": "'*'"}
# No cache may keep an error (the public API's gateway responses say the same).
_ERROR = {**_CORS, "method.response.header.Cache-Control": "'no-store'"}


class EntryQueue(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, worker: catalog.Function) -> None:
        super().__init__(scope, construct_id)
        trigger = next(t for t in worker.triggers if isinstance(t, catalog.QueueTrigger))
        self.dead_letters = secure_queue(self, "DeadLetters")
        # Lambda's guidance: at least six times the function timeout, so a message whose batch is
        # still being retried is not handed to a second worker.
        visibility = max(trigger.visibility_timeout_seconds, 6 * worker.timeout_seconds)
        self.queue = secure_queue(
            self,
            "Queue",
            retention=Duration.days(1),
            visibility_timeout=Duration.seconds(visibility),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letters, max_receive_count=trigger.max_receive_count
            ),
        )

    def add_route(self, api: apigw.RestApi) -> apigw.Method:
        route = catalog.ASSIGN_QUEUE_NUM
        role = iam.Role(
            self,
            "SendRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="Lets the public API put entries on the waiting room queue",
        )
        role.add_to_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self.queue.queue_arn]))
        integration = apigw.AwsIntegration(
            service="sqs",
            path=f"{Aws.ACCOUNT_ID}/{self.queue.queue_name}",
            integration_http_method="POST",
            options=apigw.IntegrationOptions(
                credentials_role=role,
                passthrough_behavior=apigw.PassthroughBehavior.NEVER,
                request_parameters={
                    "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"
                },
                # NEVER: a body of another content type is refused (415), not sent to SQS raw.
                request_templates={
                    content_type: REQUEST_TEMPLATE for content_type in catalog.ENTRY_CONTENT_TYPES
                },
                integration_responses=[
                    apigw.IntegrationResponse(
                        status_code="200",
                        response_templates={"application/json": RESPONSE_TEMPLATE},
                        response_parameters=_CORS,
                    ),
                    # SQS refused the message (throttled, misconfigured): say so, never fake a 200.
                    apigw.IntegrationResponse(
                        status_code="500",
                        selection_pattern="[45]\\d{2}",
                        response_templates={"application/json": json.dumps({"error": catalog.ENTRY_REFUSED})},
                        response_parameters=_ERROR,
                    ),
                ],
            ),
        )
        model = api.add_model(
            "AssignQueueNumBody",
            content_type=catalog.ENTRY_CONTENT_TYPES[0],
            schema=ENTRY_SCHEMA,
            model_name="AssignQueueNumBody",
        )
        validator = api.add_request_validator(
            "AssignQueueNumValidator", validate_request_body=True, validate_request_parameters=True
        )
        responses = [
            apigw.MethodResponse(status_code=code, response_parameters={k: True for k in headers})
            for code, headers in (("200", _CORS), ("500", _ERROR))
        ]
        return api.root.resource_for_path(route.path).add_method(
            route.method,
            integration,
            # API Gateway validates a body only against the model of its content type: one for each.
            request_models={content_type: model for content_type in catalog.ENTRY_CONTENT_TYPES},
            request_validator=validator,
            method_responses=responses,
        )
