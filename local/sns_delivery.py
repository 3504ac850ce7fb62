"""SNS topics that invoke functions, delivered through an SQS queue the runtime polls.

On AWS, SNS invokes a subscribed function asynchronously, one record per notification, and Lambda
retries a failed asynchronous invocation twice before it drops the event. Locally each subscribed
function gets its own SQS queue subscribed to the topic (moto fans SNS out to SQS); the runtime
polls that queue, turns each SNS envelope back into the event SNS would pass to the function, and
gives up on a notification after the same three attempts. A publish to the topic on the moto
endpoint, from any client, therefore reaches the function.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from local.events import sns_event
from local.sqs_poller import Deliver

logger = logging.getLogger("vwr.local.sns")

# Lambda's asynchronous invocation: the first attempt and two retries.
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Subscription:
    function_name: str
    topic_arn: str
    queue_url: str
    subscription_arn: str


def subscribe(sns: Any, sqs: Any, *, function_name: str, topic_arn: str, queue_name: str) -> Subscription:
    """A queue of the function's own, subscribed to the topic with the SNS envelope kept (not raw)."""
    queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    subscription_arn = sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)[
        "SubscriptionArn"
    ]
    return Subscription(function_name, topic_arn, queue_url, subscription_arn)


def delivery(subscription: Subscription, invoke: Callable[[dict[str, Any]], Any]) -> Deliver:
    """Invokes the function once per notification; keeps a failed one for a retry, up to three tries."""

    def deliver(messages: list[dict[str, Any]]) -> Sequence[Mapping[str, Any]]:
        done: list[Mapping[str, Any]] = []
        for message in messages:
            try:
                envelope = json.loads(message["Body"])
            except json.JSONDecodeError:
                logger.warning(
                    "dropped a message that is not an SNS notification on %s", subscription.queue_url
                )
                done.append(message)
                continue
            try:
                invoke(sns_event(envelope, subscription_arn=subscription.subscription_arn))
                done.append(message)
            except Exception:
                attempts = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
                if attempts >= MAX_ATTEMPTS:
                    logger.exception(
                        "%s failed %d times: the notification is dropped",
                        subscription.function_name,
                        attempts,
                    )
                    done.append(message)
                else:
                    logger.exception(
                        "%s failed (attempt %d): it will be retried", subscription.function_name, attempts
                    )
        return done

    return deliver
