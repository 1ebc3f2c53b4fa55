"""The order and report loop: a work order can be CANCELLED (by its resident or reporter), a
resident's report is CHECKed (核实) before dispatch, a resolved order can be REOPENed. The enum
columns only change their description; the values are new.

Backward, the rows that use the new values are mapped onto the old ones so the older code
reads them: CANCELLED orders become REJECTED (ended, with the reason on the timeline), and the
timeline's CANCEL becomes REJECT, CHECK becomes VERIFY (both 核实), REOPEN becomes RESUME.
"""

from typing import Any

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from services.enums import WorkOrderAction, WorkOrderStatus

_BACKWARD = (
    "UPDATE work_order SET status = 'REJECTED' WHERE status = 'CANCELLED'",
    "UPDATE work_order_event SET to_status = 'REJECTED' WHERE to_status = 'CANCELLED'",
    "UPDATE work_order_event SET from_status = 'REJECTED' WHERE from_status = 'CANCELLED'",
    "UPDATE work_order_event SET action = 'REJECT' WHERE action = 'CANCEL'",
    "UPDATE work_order_event SET action = 'VERIFY' WHERE action = 'CHECK'",
    "UPDATE work_order_event SET action = 'RESUME' WHERE action = 'REOPEN'",
)


async def forward(apps: Any, schema_editor: Any) -> None:
    """Nothing to convert: no row holds a new value yet."""


async def backward(apps: Any, schema_editor: Any) -> None:
    for statement in _BACKWARD:
        await schema_editor.client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0022_party_organisation")]

    initial = False

    operations = [
        ops.AlterField(
            model_name="WorkOrder",
            name="status",
            field=fields.CharEnumField(
                description="SUBMITTED: SUBMITTED\nDISPATCHED: DISPATCHED\nACCEPTED: ACCEPTED\nIN_PROGRESS: IN_PROGRESS\nSUSPENDED: SUSPENDED\nRESOLVED: RESOLVED\nCONFIRMED: CONFIRMED\nCLOSED: CLOSED\nREJECTED: REJECTED\nCANCELLED: CANCELLED",
                enum_type=WorkOrderStatus,
                max_length=20,
            ),
        ),
        ops.AlterField(
            model_name="WorkOrder",
            name="suspended_from",
            field=fields.CharEnumField(
                null=True,
                description="SUBMITTED: SUBMITTED\nDISPATCHED: DISPATCHED\nACCEPTED: ACCEPTED\nIN_PROGRESS: IN_PROGRESS\nSUSPENDED: SUSPENDED\nRESOLVED: RESOLVED\nCONFIRMED: CONFIRMED\nCLOSED: CLOSED\nREJECTED: REJECTED\nCANCELLED: CANCELLED",
                enum_type=WorkOrderStatus,
                max_length=20,
            ),
        ),
        ops.AlterField(
            model_name="WorkOrderEvent",
            name="action",
            field=fields.CharEnumField(
                description="SUBMIT: SUBMIT\nDISPATCH: DISPATCH\nACCEPT: ACCEPT\nASSIGN: ASSIGN\nSTART: START\nRESOLVE: RESOLVE\nCONFIRM: CONFIRM\nVERIFY: VERIFY\nAUTO_CONFIRM: AUTO_CONFIRM\nCLOSE: CLOSE\nTRANSFER: TRANSFER\nSUSPEND: SUSPEND\nRESUME: RESUME\nREJECT: REJECT\nESCALATE: ESCALATE\nRATE: RATE\nCANCEL: CANCEL\nCHECK: CHECK\nREOPEN: REOPEN",
                enum_type=WorkOrderAction,
                max_length=20,
            ),
        ),
        ops.AlterField(
            model_name="WorkOrderEvent",
            name="from_status",
            field=fields.CharEnumField(
                null=True,
                description="SUBMITTED: SUBMITTED\nDISPATCHED: DISPATCHED\nACCEPTED: ACCEPTED\nIN_PROGRESS: IN_PROGRESS\nSUSPENDED: SUSPENDED\nRESOLVED: RESOLVED\nCONFIRMED: CONFIRMED\nCLOSED: CLOSED\nREJECTED: REJECTED\nCANCELLED: CANCELLED",
                enum_type=WorkOrderStatus,
                max_length=20,
            ),
        ),
        ops.AlterField(
            model_name="WorkOrderEvent",
            name="to_status",
            field=fields.CharEnumField(
                description="SUBMITTED: SUBMITTED\nDISPATCHED: DISPATCHED\nACCEPTED: ACCEPTED\nIN_PROGRESS: IN_PROGRESS\nSUSPENDED: SUSPENDED\nRESOLVED: RESOLVED\nCONFIRMED: CONFIRMED\nCLOSED: CLOSED\nREJECTED: REJECTED\nCANCELLED: CANCELLED",
                enum_type=WorkOrderStatus,
                max_length=20,
            ),
        ),
        ops.RunPython(forward, backward),
    ]
