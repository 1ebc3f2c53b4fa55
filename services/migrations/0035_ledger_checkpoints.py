"""Issue 17 §1: signed checkpoints of the ledger's hash chains (services.points.checkpoints):
one row per checkpoint of a community's chain, with its range, Merkle root, head and signature.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from services.kit.clock import now
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("models", "0034_import_heartbeat")]

    initial = False

    operations = [
        ops.CreateModel(
            name="LedgerCheckpoint",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("community_id", fields.IntField()),
                ("sequence", fields.IntField()),
                ("kind", fields.CharField(max_length=16)),
                ("day", fields.DateField()),
                ("covers_until", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("from_length", fields.IntField()),
                ("length", fields.IntField()),
                ("first_transaction_id", fields.IntField()),
                ("last_transaction_id", fields.IntField()),
                ("head_hash", fields.CharField(max_length=64)),
                ("merkle_root", fields.CharField(max_length=64)),
                ("key_id", fields.CharField(max_length=16)),
                ("signature", fields.CharField(max_length=128)),
                ("created_by_id", fields.IntField(null=True)),
                ("notice_id", fields.IntField(null=True)),
                (
                    "created_at",
                    fields.DatetimeField(default=now, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "ledger_checkpoint",
                "app": "models",
                "unique_together": (("community_id", "sequence"),),
                "indexes": [Index(fields=["community_id", "day"])],
                "pk_attr": "id",
                "table_description": "A signed checkpoint of a community's hash chain (services.points.checkpoints): the",
            },
            bases=["Model"],
        ),
    ]
