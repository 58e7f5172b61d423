"""Counting the elements of a report page, as written or as a browser dumped
it (html.parser: no dependency)."""

from html.parser import HTMLParser


class Page(HTMLParser):
    """Every element with its attributes and the id of the <svg> around it."""

    def __init__(self, text):
        super().__init__()
        self.elements = []      # (tag, attrs, svg id or None)
        self.text = []
        self._svg = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "svg":
            self._svg = attrs.get("id", "")
        self.elements.append((tag, attrs, self._svg))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), self._svg))

    def handle_endtag(self, tag):
        if tag == "svg":
            self._svg = None

    def handle_data(self, data):
        self.text.append(data)

    def count(self, tag, cls=None, svg=None):
        """How many `tag` elements (of class `cls`, inside the svg `svg`)."""
        return sum(1 for t, attrs, inside in self.elements
                   if t == tag and (cls is None or cls in attrs.get("class", "").split())
                   and (svg is None or inside == svg))

    def find(self, tag, cls=None, svg=None):
        return [attrs for t, attrs, inside in self.elements
                if t == tag and (cls is None or cls in attrs.get("class", "").split())
                and (svg is None or inside == svg)]

    def svg_elements(self):
        """Elements inside any <svg>, the <svg>s included."""
        return sum(1 for tag, _, inside in self.elements if inside is not None)
