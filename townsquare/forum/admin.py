from django.contrib import admin
from django.db.models import F

from .actions import bump_category_version, bump_post_version, bump_topic_version
from .models import Category, Post, PostRevision, Topic


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "position", "start_role", "read_role", "topic_count",
                    "post_count")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("topic_count", "post_count", "last_activity", "version")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        bump_category_version(obj.pk)
        # Topic pages show their category (breadcrumb, who may start topics): a rename must
        # reach them too. Rare, so one UPDATE over the category's topics is fine.
        Topic.objects.filter(category=obj).update(version=F("version") + 1)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "author", "post_count", "pinned", "locked", "hidden")
    list_filter = ("category", "pinned", "locked", "hidden")
    search_fields = ("title",)
    raw_id_fields = ("author", "last_poster")
    readonly_fields = ("post_count", "last_activity", "version", "views")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Cached pages of the topic and its category must not outlive the change.
        bump_topic_version(obj.pk)
        bump_category_version(obj.category_id)


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("pk", "topic", "position", "author", "created", "hidden")
    list_filter = ("hidden",)
    raw_id_fields = ("topic", "author", "quotes_post")
    # Bodies change through the editor (which re-renders them), not here.
    readonly_fields = ("position", "body", "html", "reaction_counts")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        bump_post_version(obj)


@admin.register(PostRevision)
class PostRevisionAdmin(admin.ModelAdmin):
    list_display = ("post", "number", "editor", "created", "reason")
    raw_id_fields = ("post", "editor")
    readonly_fields = ("post", "number", "body", "editor", "created", "reason")
