from django.contrib import admin

from .actions_access import move_topic, set_category_read_role, set_topic_hidden
from .actions_admin import save_category, save_post, save_topic
from .models import Category, Post, PostRevision, Topic


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "position", "start_role", "read_role", "topic_count",
                    "post_count")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("topic_count", "post_count", "last_activity", "version")

    def save_model(self, request, obj, form, change):
        read_role = obj.read_role
        if change:  # who may read it is the action's to write: it tells the open streams
            obj.read_role = form.initial.get("read_role", read_role)
        save_category(category=obj)
        if change:
            set_category_read_role(by=request.user, category=obj, read_role=read_role)
            obj.read_role = read_role


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "author", "post_count", "pinned", "locked", "hidden")
    list_filter = ("category", "pinned", "locked", "hidden")
    search_fields = ("title",)
    raw_id_fields = ("author", "last_poster")
    readonly_fields = ("post_count", "last_activity", "version", "views")

    def save_model(self, request, obj, form, change):
        category, hidden = obj.category, obj.hidden
        if change:  # who may read it is the actions' to write: they tell the open streams
            obj.category_id = form.initial.get("category", category.pk)
            obj.hidden = form.initial.get("hidden", hidden)
        save_topic(topic=obj)
        if change:
            move_topic(by=request.user, topic=obj, category=category)
            set_topic_hidden(by=request.user, topic=obj, hidden=hidden)
            obj.category, obj.hidden = category, hidden


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("pk", "topic", "position", "author", "created", "hidden")
    list_filter = ("hidden",)
    raw_id_fields = ("topic", "author", "quotes_post")
    # Bodies change through the editor (which re-renders them), not here.
    readonly_fields = ("position", "body", "html", "reaction_counts")

    def save_model(self, request, obj, form, change):
        save_post(post=obj, hidden_changed="hidden" in form.changed_data)


@admin.register(PostRevision)
class PostRevisionAdmin(admin.ModelAdmin):
    list_display = ("post", "number", "editor", "created", "reason")
    raw_id_fields = ("post", "editor")
    readonly_fields = ("post", "number", "body", "editor", "created", "reason")
