from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_byte_order_paths')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='Area',
            name=None,
            fields=['level', 'kind'],
        ),
        ops.AddIndex(
            model_name='RoleAssignment',
            index=Index(fields=['area_id', 'role', 'until']),
        ),
    ]
