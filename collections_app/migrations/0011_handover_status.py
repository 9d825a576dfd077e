from django.db import migrations, models


class Migration(migrations.Migration):
    """Handover records are drawn and signed by a task: a status, and the message of a failed drawing.

    The records made before were drawn and signed in the request, so they are all signed.
    """

    dependencies = [
        ("collections_app", "0010_long_texts_last"),
    ]

    operations = [
        migrations.AddField(
            model_name="handoverrecord",
            name="status",
            field=models.CharField(
                choices=[("drawing", "Đang lập"), ("signed", "Đã ký số"), ("failed", "Lập không thành")],
                default="signed",
                max_length=8,
                verbose_name="trạng thái",
            ),
        ),
        migrations.AlterField(
            model_name="handoverrecord",
            name="status",
            field=models.CharField(
                choices=[("drawing", "Đang lập"), ("signed", "Đã ký số"), ("failed", "Lập không thành")],
                default="drawing",
                max_length=8,
                verbose_name="trạng thái",
            ),
        ),
        migrations.AddField(
            model_name="handoverrecord",
            name="message",
            field=models.TextField(blank=True, verbose_name="thông báo"),
        ),
        migrations.AddField(
            model_name="handoverrecord",
            name="drawing_since",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="bắt đầu lập lúc"),
        ),
    ]
