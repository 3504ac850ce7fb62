// Which event the page serves: `?event_id=` in its address (or `?eventId=`, the name links to the
// retired solution's page used), else the one in its config.json. One deployment serves many
// events, so a link to the page names the event it is for.

// catalog.EVENT_ID_PATTERN (tests/browser/test_event_choice.py checks that both accept the same ids).
export const EVENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * {eventId, problem}: the event named by the query string (`search`) or `configured`; `problem`
 * says in words why the address's event id cannot be one (then `eventId` is empty).
 */
export function chooseEvent(search, configured) {
  const params = new URLSearchParams(search);
  const name = ["event_id", "eventId"].find((candidate) => params.has(candidate));
  if (!name) return { eventId: configured || "", problem: "" };
  const asked = params.get(name);
  if (EVENT_ID_PATTERN.test(asked)) return { eventId: asked, problem: "" };
  const shown = asked.length > 70 ? `${asked.slice(0, 70)}…` : asked;
  return {
    eventId: "",
    problem:
      `The link names the event “${shown}”, which cannot exist: an event id is 1 to 64 letters, ` +
      "digits, “-” or “_”, starting with a letter or digit. Check the link you followed.",
  };
}
