"""The demo community, written for Townsquare: every name, outlet and story here is invented."""

import io
import os
from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from townsquare.accounts.models import Role, User
from townsquare.core.markup import quote_block
from townsquare.forum.actions import post_reply, start_topic
from townsquare.forum.models import Category
from townsquare.reactions.actions import react_to_post

DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "townsquare-demo")

MEMBERS = [
    ("newsdesk", Role.EDITOR, "The editorial desk. We adapt stories from partner newspapers."),
    ("admin", Role.ADMIN, "Keeps the lights on."),
    ("mara", Role.MEMBER, "Birdwatcher, kayaker, occasional grump about water tables."),
    ("tomasz", Role.MEMBER, "Hydrologist by training, sceptic by temperament."),
    ("priya", Role.MODERATOR, "Moderator. Be kind, cite sources."),
    ("jonas", Role.MEMBER, "Lurker turned poster."),
    ("elif", Role.MEMBER, "Maps, charts and too much coffee."),
]

# (title, slug, description, who may start topics, who may read: "" for everyone)
CATEGORIES = [
    ("News desk", "news-desk", "Stories adapted by our editors from partner newspapers.",
     Role.EDITOR, ""),
    ("Environment", "environment", "Climate, land, water and the living world.",
     Role.MEMBER, ""),
    ("Science & technology", "science-technology", "Research, engineering and gadgets.",
     Role.MEMBER, ""),
    ("Community lounge", "community-lounge", "Introductions, off-topic chat and site feedback.",
     Role.MEMBER, ""),
    ("Moderators' room", "moderators-room", "Private: moderators and administrators only.",
     Role.MODERATOR, Role.MODERATOR),
]

STORY_TITLE = "Restored marshes in the Lower Vell basin pass 1,200 km² after a wet spring"

STORY = """The Lower Vell basin now holds more restored wetland than at any point since \
records began, according to figures released on Wednesday by the Vell Basin Authority.

![Flooded meadows along the lower river](/media/demo/image.png)

Surveyors counted **1,214 km²** of functioning marsh at the end of June, up from 1,046 km² \
at the end of March. Most of the gain came from old drainage channels that were blocked \
during the winter and refilled when the spring rains arrived.

"We closed the last sluice in February and then we simply waited," said Ilse Marten, who \
leads the authority's restoration team. "The water did the rest."

Monthly totals from the authority's survey:

```chart
title: Restored marsh in the Lower Vell basin, end of month (km²)
type: bar
Month, Restored marsh (km²), Change (km²)
March, 1046, 12
April, 1103, 57
May, 1171, 68
June, 1214, 43
```

![Survey map of the restored areas](/media/demo/image-1.png)

Farmers on the basin's eastern edge are less enthusiastic. "Every square kilometre of marsh \
was a square kilometre of grazing," said Bram Olde, who keeps sheep near the village of \
Hesk. He said compensation payments had arrived late two years running.

The authority says grazing leases on the wettest land will be renegotiated in the autumn, \
and that a further 150 km² is earmarked for restoration by 2027.

Birders have already noticed. Counts of breeding bitterns in the basin rose from 11 \
booming males in 2023 to 26 this spring, the regional ornithological society reported.

"Twenty-six is not a big number," said the society's survey lead, Anouk Veer. "But two \
years ago we were talking about losing them here altogether."

The full survey is due to be published in September."""

THREAD = [
    # (author, minutes after the story, body, quote index or None)
    ("mara", 40, "Went out there last weekend. The old peat cuttings near Hesk are full of "
     "water again and the noise from the reed beds at dusk is something else.", None),
    ("tomasz", 95, "Good news, but I'd like to see how they define *functioning* marsh. A "
     "wet field for three months is not the same thing as a wetland.", 0),
    ("elif", 101, "Fair question. The authority's method note says a parcel counts once it "
     "has held standing water for 120 days and has a survey of its plants. So it's not just "
     "a wet field.", 2),
    ("jonas", 180, "Bitterns from 11 to 26 in two years is a lovely line to read on a "
     "Thursday.", None),
    ("tomasz", 240, "Thanks — 120 days is a reasonable bar. I withdraw half my grumble.", 3),
]

LOUNGE = [
    ("jonas", "Hello from a long-time lurker",
     "I've been reading here for a year. Finally made an account. Hello!",
     ["Welcome, jonas! Glad you said hello.", "Welcome aboard. The environment threads are "
      "the best part of this place."]),
    ("elif", "What's the best way to share a chart in a post?",
     "I keep making little charts from the news stories. Screenshots feel clumsy — any tips?",
     ["A table in Markdown works well for small numbers: `| a | b |` rows.",
      "Tables also read better on phones than screenshots do."]),
]


def _demo_image(name: str, colour: tuple[int, int, int], label: str) -> str:
    image = Image.new("RGB", (960, 420), colour)
    draw = ImageDraw.Draw(image)
    for i in range(0, 960, 48):
        draw.line([(i, 420), (i + 200, 180)], fill=(255, 255, 255), width=2)
    draw.rectangle([24, 24, 420, 84], fill=(255, 255, 255))
    draw.text((40, 44), label, fill=(20, 40, 60))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    path = f"demo/{name}"
    if default_storage.exists(path):
        default_storage.delete(path)
    default_storage.save(path, ContentFile(buffer.getvalue()))
    return path


@transaction.atomic
def load_demo() -> dict[str, int]:
    now = timezone.now()
    members = {}
    for username, role, bio in MEMBERS:
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={"email": f"{username}@example.org", "role": role, "bio": bio},
        )
        user.set_password(DEMO_PASSWORD)
        user.is_staff = user.is_superuser = role == Role.ADMIN
        user.save()
        members[username] = user
    categories = {}
    for position, (title, slug, description, start_role, read_role) in enumerate(CATEGORIES):
        categories[slug], _ = Category.objects.get_or_create(
            slug=slug,
            defaults={"title": title, "description": description, "position": position,
                      "start_role": start_role, "read_role": read_role},
        )
    _demo_image("image.png", (46, 110, 92), "Lower Vell, flooded meadows")
    _demo_image("image-1.png", (58, 90, 140), "Survey map: restored marsh")

    started = now - timedelta(hours=5)
    story = start_topic(
        author=members["newsdesk"], category=categories["news-desk"], title=STORY_TITLE,
        body=STORY, source_name="The Vell Valley Courier",
        source_url="https://courier.example/2025/07/03/vell-marshes",
        source_date=date(2025, 7, 3), created=started,
    )
    opening = story.posts.get(position=1)
    posts = [opening]
    for author, minutes, body, quote in THREAD:
        if quote is not None:
            quoted = posts[quote]
            excerpt = quoted.body.split("\n\n")[0] if quoted.position == 1 else quoted.body
            body = quote_block(quoted.pk, excerpt) + body
        posts.append(post_reply(author=members[author], topic=story, body=body,
                                created=started + timedelta(minutes=minutes)))
    react_to_post(member=members["mara"], post=opening, kind="love")
    react_to_post(member=members["jonas"], post=opening, kind="haha")
    react_to_post(member=members["elif"], post=posts[2], kind="haha")
    react_to_post(member=members["mara"], post=posts[3], kind="thanks")
    react_to_post(member=members["tomasz"], post=posts[3], kind="like")
    react_to_post(member=members["priya"], post=posts[4], kind="love")

    topics, total_posts = 1, len(posts)
    for index, (author, title, body, replies) in enumerate(LOUNGE):
        created = now - timedelta(days=2 + index)
        topic = start_topic(author=members[author], category=categories["community-lounge"],
                            title=title, body=body, created=created)
        for offset, reply in enumerate(replies):
            who = ["priya", "mara", "tomasz"][offset % 3]
            post_reply(author=members[who], topic=topic, body=reply,
                       created=created + timedelta(hours=offset + 1))
        topics, total_posts = topics + 1, total_posts + 1 + len(replies)

    long_topic = start_topic(
        author=members["tomasz"], category=categories["science-technology"],
        title="Reading group: a year of river-gauge data, one week at a time",
        body="Each week I'll post one week of gauge readings and what stood out. Join in!",
        created=now - timedelta(days=60),
    )
    for week in range(1, 46):
        who = ["tomasz", "elif", "mara", "jonas"][week % 4]
        post_reply(author=members[who], topic=long_topic,
                   body=f"Week {week}: peak flow came on day {week % 7 + 1}; "
                        f"nothing unusual beyond a {week % 5 + 1} cm overnight rise.",
                   created=now - timedelta(days=60) + timedelta(days=week))
    private = start_topic(
        author=members["priya"], category=categories["moderators-room"],
        title="Handling the marsh thread if it heats up",
        body="If the marsh thread turns into a flame war, let's lock it for an hour rather "
             "than hide posts. Objections?", created=now - timedelta(hours=3))
    post_reply(author=members["admin"], topic=private, body="Agreed. A note in the thread "
               "saying why it is locked, please.", created=now - timedelta(hours=2))
    _demo_desk(categories["news-desk"], story, now)
    return {"members": len(members), "topics": topics + 2, "posts": total_posts + 48}


DESK_QUEUE = [
    ("Ferry timetable extended through the winter",
     "The valley ferry will keep its summer timetable until March, the operator said.",
     "https://courier.example/2025/07/04/ferry-winter",
     "The valley ferry will keep running every half hour through the winter, its operator "
     "announced on Friday, after a summer in which passenger numbers rose by a fifth.\n\n"
     "The extra crossings will be paid for by the two parish councils until March."),
    ("Library opens a reading room for the river archive",
     "Maps, gauge ledgers and photographs going back a century are now open to the public.",
     "https://courier.example/2025/07/05/river-archive",
     "A century of river records, from hand-written gauge ledgers to aerial photographs, can "
     "now be read in a new room at the town library.\n\n"
     "Volunteers spent two years sorting the collection, which was kept in the lock-keeper's "
     "cottage until the floods of last spring."),
]


def _demo_desk(category, published, now) -> None:
    """The news desk's demo: the Courier as a (paused) source, the seed story as published
    from it, and two stories waiting in the queue."""
    from townsquare.newsdesk.actions.intake import canonical_url, title_key
    from townsquare.newsdesk.models import Carrier, Source, Story

    source, _ = Source.objects.get_or_create(
        feed_url="https://courier.example/feed.xml",
        defaults={"name": "The Vell Valley Courier", "category": category, "active": False,
                  "interval_minutes": 30, "last_result": "Paused: a demo source."})
    entries = [(published.title, "", published.source_url, "", published)]
    entries += [(title, summary, url, body, None) for title, summary, url, body in DESK_QUEUE]
    for n, (title, summary, url, body, topic) in enumerate(entries):
        arrived = now - timedelta(hours=6 - n)
        story, created = Story.objects.get_or_create(
            canonical_url=canonical_url(url),
            defaults={"title": title, "summary": summary, "url": url, "body": body,
                      "title_key": title_key(title), "created": arrived, "updated": arrived,
                      "category": category, "source_date": arrived, "extracted": bool(body),
                      "status": Story.Status.PUBLISHED if topic else Story.Status.QUEUED,
                      "topic": topic})
        if created:
            Carrier.objects.create(story=story, source=source, key=f"demo-{n}", url=url,
                                   title=title, summary=summary, content_hash="demo",
                                   first_seen=arrived, last_seen=arrived)
