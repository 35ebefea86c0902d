"""The words click writes itself (usage lines, section titles, its errors about options), as
tutor's messages: ``cli`` routes click's gettext calls to tutor's catalog, and this module is
where the message extractor finds them. Never called."""

from .i18n import _, ngettext


def _messages() -> None:   # pragma: no cover - read by the extractor, not run
    _("Usage:")
    _("Options")
    _("Commands")
    _("Positional arguments")
    _("Aborted!")
    _("Show this message and exit.")
    _("Show the version and exit.")
    _("%(prog)s, version %(version)s")
    _("Error: {message}")
    _("Try '{command} {option}' for help.")
    _("Invalid value: {message}")
    _("Invalid value for {param_hint}: {message}")
    _("Missing argument")
    _("Missing option")
    _("Missing parameter")
    _("Missing {param_type}")
    _("Missing parameter: {param_name}")
    _("Missing command.")
    _("No such option {name!r}.")
    _("No such command {name!r}.")
    _("unknown error")
    _("Could not open file {filename!r}: {message}")
    _("Option {name!r} does not take a value.")
    _("Argument {name!r} takes {nargs} values.")
    _("Value must be an iterable.")
    _("default: {default}")
    _("env var: {var}")
    _("required")
    _("(dynamic)")
    _("deprecated")
    _("{value!r} is not a valid {number_type}.")
    _("{value} is not in the range {range}.")
    _("{value!r} is not a valid boolean. Recognized values: {states}")
    _("{value!r} is not a valid UUID.")
    _("file")
    _("directory")
    _("path")
    _("{name} {filename!r} does not exist.")
    _("{name} {filename!r} is a file.")
    _("{name} {filename!r} is a directory.")
    _("{name} {filename!r} is not readable.")
    _("{name} {filename!r} is not writable.")
    _("{name} {filename!r} is not executable.")
    _("Choice({choices})")
    ngettext("Got unexpected extra argument ({args})",
             "Got unexpected extra arguments ({args})", 1)
    ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", 1)
    ngettext("Option {name!r} requires an argument.",
             "Option {name!r} requires {nargs} arguments.", 1)
    ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", 1)
    ngettext("Takes {nargs} values but 1 was given.",
             "Takes {nargs} values but {len} were given.", 1)
    ngettext("{len_type} values are required, but {len_value} was given.",
             "{len_type} values are required, but {len_value} were given.", 1)
