"""Clicking buttons, picking from selects and filling modals, as the person who can see them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..interactions import MESSAGE_COMPONENT, MODAL_SUBMIT, Interaction
from ..messages import SELECT_TYPES, walk_components
from ..state import Channel, Guild, Member, Message, Role, User
from .delivery import DeliveryDriver
from .options import OptionDriver


class ComponentDriver(OptionDriver, DeliveryDriver):
    """Part of :class:`~alphapy.testing.emulator.drivers.DriversMixin`; ``self`` is the emulator."""

    async def click(
        self,
        message: Message | Interaction,
        label_or_custom_id: str,
        *,
        by: Member | User | None = None,
        timeout: float | None = None,
    ) -> Interaction:
        """Click the button with this label (or custom id) on ``message``."""
        msg = self._as_message(message)
        buttons = [c for c in walk_components(msg.components) if c.get("type") == 2]
        button = next((b for b in buttons if b.get("custom_id") == label_or_custom_id), None) or next(
            (b for b in buttons if b.get("label") == label_or_custom_id), None
        )
        if button is None:
            labels = [b.get("label") or b.get("custom_id") for b in buttons]
            raise LookupError(f"no button {label_or_custom_id!r} on message {msg.id}; buttons: {labels}")
        if button.get("disabled"):
            raise PermissionError(f"button {label_or_custom_id!r} is disabled")
        if not button.get("custom_id"):
            raise ValueError(f"button {label_or_custom_id!r} is a link/premium button; it sends no interaction")
        data = {"custom_id": button["custom_id"], "component_type": 2}
        if isinstance(button.get("id"), int):
            data["id"] = button["id"]
        name = f"button {button.get('label') or button['custom_id']!r}"
        return await self._use_component(msg, by, lambda _guild: data, name, timeout)

    async def _use_component(
        self,
        msg: Message,
        by: Member | User | None,
        build: Any,
        name: str,
        timeout: float | None,
    ) -> Interaction:
        """Send the MESSAGE_COMPONENT interaction that ``build(guild)`` describes, by ``by``."""
        member, user, guild = self._actor(by, msg)
        interaction = Interaction(
            self.state.ids.next(), MESSAGE_COMPONENT, user, member, guild, msg.channel, build(guild),
            name=name, message=msg,
        )
        return await self._deliver(interaction, timeout)

    async def select(
        self,
        message: Message | Interaction,
        values: Any,
        *,
        by: Member | User | None = None,
        custom_id: str | None = None,
        timeout: float | None = None,
    ) -> Interaction:
        """Pick ``values`` in a select menu of ``message`` (string select: option values or
        labels; user/role/channel selects: state objects). ``custom_id`` picks the menu when
        the message has several."""
        msg = self._as_message(message)
        selects = [c for c in walk_components(msg.components) if c.get("type") in SELECT_TYPES]
        if custom_id is not None:
            menu = next((s for s in selects if s.get("custom_id") == custom_id), None)
        elif len(selects) == 1:
            menu = selects[0]
        else:
            menu = None
        if menu is None:
            raise LookupError(
                f"pick a select menu on message {msg.id} with custom_id=; menus: {[s.get('custom_id') for s in selects]}"
            )
        if menu.get("disabled"):
            raise PermissionError(f"select {menu.get('custom_id')!r} is disabled")
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            values = [values]
        values = list(values)
        low, high = menu.get("min_values", 1), menu.get("max_values", 1)
        if not low <= len(values) <= high:
            raise ValueError(f"select {menu.get('custom_id')!r} takes {low}..{high} values, got {len(values)}")

        def build(guild: Any) -> dict[str, Any]:
            resolved: dict[str, dict[str, Any]] = {}
            chosen = self._select_values(menu, values, guild, msg.channel, resolved)
            data: dict[str, Any] = {"custom_id": menu["custom_id"], "component_type": menu["type"], "values": chosen}
            if resolved:
                data["resolved"] = resolved
            return data

        return await self._use_component(msg, by, build, f"select {menu['custom_id']!r}", timeout)

    def _select_values(
        self,
        menu: dict[str, Any],
        values: list[Any],
        guild: Guild | None,
        channel: Channel,
        resolved: dict[str, dict[str, Any]],
    ) -> list[str]:
        kind = menu["type"]
        chosen: list[str] = []
        if kind == 3:
            options = menu.get("options") or []
            for value in values:
                option = next((o for o in options if o.get("value") == value), None) or next(
                    (o for o in options if o.get("label") == value), None
                )
                if option is None:
                    raise LookupError(
                        f"select {menu.get('custom_id')!r} has no option {value!r}; options: {[o.get('label') for o in options]}"
                    )
                chosen.append(option["value"])
            return chosen
        for value in values:
            if isinstance(value, (Member, User)) and kind in (5, 7):
                self._resolve_user(value, guild, channel, resolved)
            elif isinstance(value, Role) and kind in (6, 7):
                resolved.setdefault("roles", {})[str(value.id)] = value.payload()
            elif isinstance(value, Channel) and kind == 8:
                types = menu.get("channel_types")
                if types and value.type not in types:
                    raise ValueError(f"#{value.name} is not one of channel types {types}")
                self._resolve_channel(value, guild, resolved)
            else:
                raise TypeError(f"select {menu.get('custom_id')!r} (type {kind}) cannot take {value!r}")
            chosen.append(str(value.id))
        return chosen

    async def submit_modal(
        self,
        interaction: Interaction,
        values: Mapping[str, Any],
        *,
        by: Member | User | None = None,
        timeout: float | None = None,
    ) -> Interaction:
        """Fill and submit the modal the bot opened in answer to ``interaction``.

        ``values`` maps a field's custom id or label to its text (select fields: a value or
        list of values). Fields left out keep their pre-filled value."""
        modal = interaction.modal
        if modal is None:
            answer = "nothing" if interaction.response_type is None else f"callback type {interaction.response_type}"
            raise LookupError(f"the bot did not open a modal for {interaction.name} (it answered with {answer})")
        given: dict[str, Any] = {}
        resolved: dict[str, dict[str, Any]] = {}
        for key, value in values.items():
            given[modal.field(key).custom_id] = value

        def submitted(component: dict[str, Any]) -> dict[str, Any]:
            ctype = component.get("type")
            custom_id = component.get("custom_id")
            out: dict[str, Any] = {"type": ctype}
            if isinstance(component.get("id"), int):
                out["id"] = component["id"]
            if custom_id is None:
                return out
            out["custom_id"] = custom_id
            field = modal.field(custom_id)
            if ctype == 4:
                text = given.get(custom_id, field.value)
                text = "" if text is None else str(text)
                if field.required and not text:
                    raise ValueError(f"modal field {field.label or custom_id!r} is required")
                if text and (
                    field.min_length
                    and len(text) < field.min_length
                    or field.max_length
                    and len(text) > field.max_length
                ):
                    raise ValueError(
                        f"modal field {field.label or custom_id!r}: length {len(text)} outside {field.min_length}..{field.max_length}"
                    )
                out["value"] = text
            elif ctype == 21:  # radio group: one value
                out["value"] = given.get(custom_id)
            elif ctype == 23:  # checkbox
                out["value"] = bool(given.get(custom_id, False))
            else:  # selects, checkbox groups, file uploads: a list of values
                chosen = given.get(custom_id, [])
                if isinstance(chosen, (str, bytes, tuple)) or not isinstance(chosen, Iterable):
                    chosen = [chosen]
                chosen = list(chosen)
                if field.required and not chosen:
                    raise ValueError(f"modal field {field.label or custom_id!r} is required")
                if ctype == 19:
                    found = [self._as_attachment(v, interaction.channel) for v in chosen]
                    resolved.setdefault("attachments", {}).update({str(a.id): a.payload() for a in found})
                    out["values"] = [str(a.id) for a in found]
                elif ctype in SELECT_TYPES:
                    out["values"] = self._select_values(
                        component, chosen, interaction.guild, interaction.channel, resolved
                    )
                else:
                    out["values"] = [str(getattr(v, "id", v)) for v in chosen]
            return out

        components: list[dict[str, Any]] = []
        for comp in modal.components:
            ctype = comp.get("type")
            if ctype == 18 and isinstance(comp.get("component"), dict):
                row: dict[str, Any] = {"type": 18, "component": submitted(comp["component"])}
                if isinstance(comp.get("id"), int):
                    row["id"] = comp["id"]
                components.append(row)
            elif ctype == 1:
                components.append({"type": 1, "components": [submitted(c) for c in comp.get("components") or []]})
            elif comp.get("custom_id") is not None:
                components.append(submitted(comp))
        member, user, guild = (
            self._who(by) if by is not None else (interaction.member, interaction.user, interaction.guild)
        )
        data: dict[str, Any] = {"custom_id": modal.custom_id, "components": components}
        if resolved:
            data["resolved"] = resolved
        submit = Interaction(
            self.state.ids.next(),
            MODAL_SUBMIT,
            user,
            member,
            guild,
            interaction.channel,
            data,
            name=f"modal {modal.title!r}",
            message=interaction.message,
            parent=interaction,
        )
        return await self._deliver(submit, timeout)
