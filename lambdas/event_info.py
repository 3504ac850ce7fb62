"""GET /event_info: what anyone may know of an event before entering (its name, mode and times).

The page reads it once per load, to show the event's name and, before a scheduled sale's
pre-queue opens, a countdown instead of the entry button. The CDN keeps it a few seconds, so its
cost does not grow with visitors.
"""

from lambdas.waiting_room.http import api_handler, query, response
from lambdas.waiting_room.registry import require_event


@api_handler
def handler(event, context):
    return response(200, require_event(query(event)).public_json())
