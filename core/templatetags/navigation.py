"""The main navigation's links, and which of them is the current page.

One rule, in one place: the current link is the one whose address is the longest beginning of
the address asked (request.path). /cases/1/ lights "Work queues" (/cases/), /cases/new/ lights
"New application" (/cases/new/), not both; /review/qa/ lights "QA queue", not "My cases"
(/review/). The link gets aria-current="page" (read out by screen readers) and Bootstrap's
`active` class (styled in static/css/site.css).

    {% navigation %}
      {% if perms.x %}{% nav_link "cases:queues" "Work queues" %}{% endif %}
    {% endnavigation %}
"""

from __future__ import annotations

from django import template
from django.template.base import Parser, Token
from django.template.context import Context
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

register = template.Library()

_CURRENT = "_nav_current_url"


def current_of(path: str, urls: list[str]) -> str | None:
    """The address among `urls` that is the longest beginning of `path` (None: none is)."""
    matching = [url for url in urls if path.startswith(url)]
    return max(matching, key=len) if matching else None


class NavLinkNode(template.Node):
    def __init__(self, url_name: template.base.FilterExpression, label: template.base.FilterExpression):
        self.url_name = url_name
        self.label = label

    def url(self, context: Context) -> str | None:
        try:
            return reverse(self.url_name.resolve(context))
        except NoReverseMatch:
            return None

    def render(self, context: Context) -> str:
        url = self.url(context)
        if url is None:
            return ""
        if context.get(_CURRENT) == url:
            return format_html(
                '<li class="nav-item"><a class="nav-link active" aria-current="page" href="{}">{}</a></li>',
                url,
                self.label.resolve(context),
            )
        return format_html(
            '<li class="nav-item"><a class="nav-link" href="{}">{}</a></li>', url, self.label.resolve(context)
        )


class NavigationNode(template.Node):
    def __init__(self, nodelist: template.NodeList):
        self.nodelist = nodelist

    def render(self, context: Context) -> str:
        request = context.get("request")
        nodes = self.nodelist.get_nodes_by_type(NavLinkNode)
        links = [node for node in nodes if isinstance(node, NavLinkNode)]
        urls = [url for url in (link.url(context) for link in links) if url]
        current = current_of(request.path, urls) if request is not None else None
        with context.push({_CURRENT: current}):
            return self.nodelist.render(context)


@register.tag
def navigation(parser: Parser, token: Token) -> NavigationNode:
    nodelist = parser.parse(("endnavigation",))
    parser.delete_first_token()
    return NavigationNode(nodelist)


@register.tag
def nav_link(parser: Parser, token: Token) -> NavLinkNode:
    bits = token.split_contents()
    if len(bits) != 3:
        raise template.TemplateSyntaxError('{% nav_link "namespace:url_name" "Label" %}')
    return NavLinkNode(parser.compile_filter(bits[1]), parser.compile_filter(bits[2]))
