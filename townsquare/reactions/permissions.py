from townsquare.forum.permissions import can_view_post, is_member


def can_react(user, post) -> bool:
    """Members react to posts they can see, never to their own."""
    return is_member(user) and can_view_post(user, post) and post.author_id != user.pk
