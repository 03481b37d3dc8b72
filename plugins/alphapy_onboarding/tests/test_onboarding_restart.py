"""Resume after a restart halfway: the bot stops and starts on the same database and emulator."""

from __future__ import annotations

from alphapy.testing import running_alphapy


async def test_resume_after_a_restart_halfway(emulator, guild, member, welcome, migrated_database_url,
                                              alphapy_plugins, make_ob) -> None:
    async with running_alphapy(emulator, migrated_database_url, plugins=alphapy_plugins) as runner:
        ob = await make_ob(runner.bot).set_up()
        await ob.add_rule(title="Be kind", description="Always.")
        colour = await ob.add_question(question="Pick one", type="select", options='["Red", "Blue"]')
        more = await ob.add_question(question="Tell us more", type="text")
        city = await ob.add_question(question="And your city?", type="text")
        screen = await emulator.click(await ob.start(member), "I accept the rules", by=member)
        screen = await emulator.select(screen, ["blue"], by=member)
        form_before = await emulator.click(screen, "Answer", by=member)  # a form open while the bot stops
        panel_id = ob.panel.id
    assert runner.services is None  # the first bot is gone, with everything it had in memory

    async with running_alphapy(emulator, migrated_database_url, plugins=alphapy_plugins) as runner:
        ob = make_ob(runner.bot)
        await emulator.settle()
        assert [m.id for m in welcome.messages if m.buttons] == [panel_id]  # the panel was kept, not doubled
        city_screen = await emulator.submit_modal(form_before, {"answer": "I like blue"}, by=member)
        assert city_screen.content == "✅ Saved: **I like blue**"
        assert city_screen.embed["description"] == "And your city?"

    welcome._remove(welcome.message(panel_id))  # deleted while the bot was down: nobody told it

    async with running_alphapy(emulator, migrated_database_url, plugins=alphapy_plugins) as runner:
        ob = make_ob(runner.bot)
        await emulator.wait_until(lambda: any(m.buttons for m in welcome.messages))  # put back on start-up
        assert ob.panel.id != panel_id
        resumed = await ob.start(member)
        assert resumed.content == "Welcome back! You continue where you stopped."
        assert resumed.embed["description"] == "And your city?"
        form = await emulator.click(city_screen, "Answer", by=member)  # a button shown before the restart
        screen = await emulator.submit_modal(form, {"answer": "Gouda"}, by=member)
        await ob.personalize(screen, member)
        assert (await ob.row(member))["responses"] == {
            str(colour): "blue", str(more): "I like blue", str(city): "Gouda",
            "personalized_opt_in": "full", "preferred_language": "nl"}
