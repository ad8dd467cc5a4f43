"""The mediator's tools: control of a case's rooms (caucus-only mode, pause, mute, removal,
hiding a message) and relays between the private rooms and the other side."""
