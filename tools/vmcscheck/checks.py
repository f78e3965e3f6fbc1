"""All guest-state checks, in the order of SDM Vol. 3C 27.3.1."""
from . import control_regs, nonregister, rip_rflags, segments
from .guest import Guest

CHECKS = control_regs.CHECKS + segments.CHECKS + rip_rflags.CHECKS + nonregister.CHECKS
CHECK_IDS = [c[0] for c in CHECKS]


def first_failure(dump):
    """Runs the checks in order; returns (check-id, section, sentence) of the
    first that fails, or None."""
    g = Guest(dump)
    for check_id, section, function in CHECKS:
        failure = function(g)
        if failure:
            return check_id, section, failure
    return None


def notes(dump, result):
    """Hints for stderr: when the exit reason and the verdict disagree, or
    when the entry must have failed before guest state was checked."""
    guest = Guest(dump)
    basic = dump.reason & 0xFFFF
    said = []
    if basic != 33:
        said.append(f"exit reason {basic} is not 33 (invalid guest state): the entry failed "
                    f"for another reason, or this dump is not of a failed entry")
    elif result is None:
        said.append("the processor reported invalid guest state but every check this tool can "
                    "make passes: see the limits in `vmcs-check --help`")
    if guest.unrestricted and not guest.ept:
        said.append("unrestricted guest without EPT fails the checks on VM-execution controls "
                    "(SDM 27.2.1.1), made before these")
    if basic == 33 and dump.qualification == 2 and (
            result is None or result[0] != "pdpte-reserved"):
        said.append("exit qualification 2 means the PDPTEs failed to load")
    if basic == 33 and dump.qualification == 4 and (
            result is None or not result[0].startswith("vmcs-link-pointer")):
        said.append("exit qualification 4 means an invalid VMCS link pointer (the VMCS it "
                    "names may have the wrong revision or shadow bit: memory is not in a dump)")
    return said
