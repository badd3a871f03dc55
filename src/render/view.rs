//! The typed view structs templates receive: the *only* `Serialize` types that reach Tera.
//! Each template gets one root struct; `docs/templates.md` lists every field.
//!
//! Views hold owned, already-formatted strings (URLs with the base path, human dates), so
//! templates stay logic-free and a theme author never sees the resolver's model.

use std::sync::Arc;

use serde::Serialize;

pub use super::fragments::Fragment;

/// Site-wide values every template gets as `site`. Page views do not hold it: it is converted
/// to a template value once per [`super::Index`] and added to every page's context (it was 2% of
/// a build's instructions when each of 30,000 pages serialised its own copy).
#[derive(Debug, Clone, Serialize)]
pub struct SiteView {
    /// Site title.
    pub title: String,
    /// Base path for links (`/` or `/wiki/`).
    pub base: String,
    /// Absolute base URL if configured, else the base path.
    pub base_url: String,
    /// Site description.
    pub description: String,
    /// HTML `lang`.
    pub language: String,
    /// Kind index pages, sorted by kind name.
    pub kinds: Vec<KindLink>,
}

/// Link to a kind's index page.
#[derive(Debug, Clone, Serialize)]
pub struct KindLink {
    /// Kind name (`person`).
    pub name: String,
    /// Plural label (`People`).
    pub plural: String,
    /// URL of the index page.
    pub url: String,
    /// Number of entities.
    pub count: usize,
}

/// Per-page metadata every page template gets as `meta`.
#[derive(Debug, Clone, Serialize)]
pub struct PageMeta {
    /// Page title.
    pub title: String,
    /// Meta description / OpenGraph description.
    pub description: String,
    /// Canonical URL.
    pub canonical: String,
    /// Path of the page below the base (`people/x/`).
    pub path: String,
}

/// A link to an entity. Built once per entity and shared (`Arc<str>`): a page may link the
/// same entity many times.
#[derive(Debug, Clone, Serialize)]
pub struct EntityLink {
    /// URL.
    pub url: Arc<str>,
    /// Title.
    pub title: Arc<str>,
    /// Kind name.
    pub kind: Arc<str>,
    /// Summary.
    pub summary: Arc<str>,
}

/// A citation mark (`[3]`) on a fact or relation.
#[derive(Debug, Clone, Serialize)]
pub struct CiteMark {
    /// Reference number on this page.
    pub number: usize,
    /// URL of the passage, with the quote to highlight.
    pub url: String,
    /// The quoted words.
    pub quote: String,
}

/// One infobox fact.
#[derive(Debug, Clone, Serialize)]
pub struct FactView {
    /// Fact key (`born`).
    pub key: String,
    /// Label (`born`).
    pub label: String,
    /// Value, dates in human form.
    pub value: String,
    /// Citation mark.
    pub cite: Option<CiteMark>,
}

/// One relation in the infobox.
#[derive(Debug, Clone, Serialize)]
pub struct RelationView {
    /// Relation type as seen from this page (`led_by`).
    pub rtype: String,
    /// Label (`led by`).
    pub label: String,
    /// The other entity.
    pub target: EntityLink,
    /// Start, human form, or empty.
    pub since: String,
    /// End, human form, or empty.
    pub until: String,
    /// Role, or empty.
    pub role: String,
    /// Citation mark (the citation may live on the other page).
    pub cite: Option<CiteMark>,
}

/// HTML built by refwiki (editor text in it escaped), handed to templates as a string Tera
/// knows is safe: a template writes it as it is (no `| safe`, which would copy it once more),
/// and serialising a view passes the value on instead of copying the string. An entity page
/// carries 15–20 KB of it.
#[derive(Debug, Clone)]
pub struct Html(tera::Value);

impl Html {
    /// The HTML as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str().unwrap_or_default()
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.as_str().len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.as_str().is_empty()
    }
}

impl From<String> for Html {
    fn from(html: String) -> Html {
        Html(tera::Value::safe_string(&html))
    }
}

impl Default for Html {
    fn default() -> Html {
        Html::from(String::new())
    }
}

impl Serialize for Html {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// A [`RelationView`] made a template value once, so that `relations` and `relation_groups`
/// share it instead of each converting it again (Tera 2 takes a `Value` met during
/// serialisation as it is, an `Arc` clone). Serialised by anything else, it is the
/// `RelationView`'s own fields.
#[derive(Debug, Clone)]
pub struct SharedRelation(tera::Value);

impl SharedRelation {
    /// Converts `r` once.
    pub fn new(r: &RelationView) -> SharedRelation {
        SharedRelation(tera::Value::from_serializable(r))
    }
}

impl Serialize for SharedRelation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// Relations sharing one label (`member of`: A, B, C).
#[derive(Debug, Clone, Serialize)]
pub struct RelationGroupView {
    /// Label.
    pub label: String,
    /// The relations, sorted by target title.
    pub items: Vec<SharedRelation>,
}

/// A tag link.
#[derive(Debug, Clone, Serialize)]
pub struct TagLink {
    /// Tag name.
    pub name: String,
    /// URL of the tag page.
    pub url: String,
}

/// Root of `entity.html`.
#[derive(Debug, Clone, Serialize)]
pub struct EntityPageView {
    /// Page metadata.
    pub meta: PageMeta,
    /// The entity.
    pub entity: EntityView,
}

/// The entity shown by `entity.html`.
#[derive(Debug, Clone, Serialize)]
pub struct EntityView {
    /// Slug.
    pub slug: String,
    /// Kind name.
    pub kind: String,
    /// Kind label (`Person`).
    pub kind_label: String,
    /// URL of the kind index.
    pub kind_url: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Aliases.
    pub aliases: Vec<String>,
    /// Tags.
    pub tags: Vec<TagLink>,
    /// Kind facts.
    pub facts: Vec<FactView>,
    /// Relations, both directions.
    pub relations: Vec<SharedRelation>,
    /// The same relations grouped by label, for the infobox.
    pub relation_groups: Vec<RelationGroupView>,
    /// Rendered body (trusted HTML: produced by the Markdown adapter, raw HTML disabled).
    pub body_html: Html,
    /// Numbered references (pre-rendered, see `fragments.rs`).
    pub references: Fragment,
    /// Pages linking here (pre-rendered).
    pub backlinks: Fragment,
    /// Passages mentioning this entity (pre-rendered).
    pub mentioned_in: Fragment,
    /// Passages mentioning this entity that it does not cite (pre-rendered).
    pub mentioned_not_cited: Fragment,
    /// schema.org JSON-LD, already safe to inline in a `<script>` (trusted).
    pub json_ld: Html,
    /// This entity's dated facts and the dated entities it relates to, in date order
    /// (pre-rendered).
    pub timeline: Fragment,
    /// The relation neighbourhood as an inline SVG (trusted, built from escaped text), or empty.
    pub graph_svg: Html,
}

/// One dated entry of a timeline.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineEntry {
    /// ISO partial date (`2017-03`), sortable.
    pub date: String,
    /// Human date (`March 2017`).
    pub date_human: String,
    /// Year, for grouping.
    pub year: String,
    /// What happened (`born`, `founded`, an event's title).
    pub label: String,
    /// The entity.
    pub entity: EntityLink,
    /// Kind name of the entity (for filtering).
    pub kind: String,
}

/// Root of `search.html`.
#[derive(Debug, Clone, Serialize)]
pub struct SearchPageView {
    /// Page metadata.
    pub meta: PageMeta,
}

/// Root of `timeline.html`.
#[derive(Debug, Clone, Serialize)]
pub struct TimelinePageView {
    /// Page metadata.
    pub meta: PageMeta,
    /// Entries in date order (equal dates by title).
    pub entries: Vec<TimelineEntry>,
}

/// Root of `graph.html`.
#[derive(Debug, Clone, Serialize)]
pub struct GraphPageView {
    /// Page metadata.
    pub meta: PageMeta,
    /// The overview SVG (trusted).
    pub svg: Html,
    /// Entities drawn.
    pub nodes: usize,
    /// Entities with at least one relation: more than `nodes` when the overview shows only
    /// the most related ([`super::graph::OVERVIEW_MAX_NODES`]).
    pub related: usize,
    /// Relations drawn.
    pub edges: usize,
}

/// Root of `source.html`.
#[derive(Debug, Clone, Serialize)]
pub struct SourcePageView {
    /// Page metadata.
    pub meta: PageMeta,
    /// The source.
    pub source: SourceView,
}

/// A source document.
#[derive(Debug, Clone, Serialize)]
pub struct SourceView {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Author, if known.
    pub author: Option<String>,
    /// Publisher, if known.
    pub publisher: Option<String>,
    /// Date, human form, if known.
    pub date: Option<String>,
    /// Original URL.
    pub url: Option<String>,
    /// Archivist's note.
    pub note: Option<String>,
    /// Passages (pre-rendered).
    pub passages: Fragment,
}

/// Root of `index.html` (home).
#[derive(Debug, Clone, Serialize)]
pub struct HomePageView {
    /// Page metadata.
    pub meta: PageMeta,
    /// Home contents.
    pub home: HomeView,
}

/// Home page contents.
#[derive(Debug, Clone, Serialize)]
pub struct HomeView {
    /// Rendered `content/index.md` body.
    pub body_html: Html,
    /// Counts.
    pub counts: Counts,
    /// Sources.
    pub sources: Vec<SourceLink>,
}

/// Wiki-wide counts.
#[derive(Debug, Clone, Serialize)]
pub struct Counts {
    /// Entities.
    pub entities: usize,
    /// Sources.
    pub sources: usize,
    /// Passages in all sources.
    pub passages: usize,
    /// Verified citations.
    pub citations: usize,
    /// Distinct passages cited.
    pub cited_passages: usize,
}

/// Link to a source.
#[derive(Debug, Clone, Serialize)]
pub struct SourceLink {
    /// URL.
    pub url: String,
    /// Title.
    pub title: String,
    /// "Author, Publisher, date" with what is known.
    pub byline: String,
}

/// Root of `list.html` (kind indexes, tag pages, the tag list, the source list).
#[derive(Debug, Clone, Serialize)]
pub struct ListPageView {
    /// Page metadata.
    pub meta: PageMeta,
    /// The list.
    pub list: ListView,
}

/// A list of links with summaries, grouped A–Z.
#[derive(Debug, Clone, Serialize)]
pub struct ListView {
    /// Heading.
    pub heading: String,
    /// Intro sentence.
    pub intro: String,
    /// Letters present, for the A–Z bar.
    pub letters: Vec<String>,
    /// Entries, sorted.
    pub entries: Vec<ListEntry>,
}

/// One entry of a list.
#[derive(Debug, Clone, Serialize)]
pub struct ListEntry {
    /// URL.
    pub url: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Initial letter (A–Z, or `#`).
    pub letter: String,
}

/// Root of `redirect.html`.
#[derive(Debug, Clone, Serialize)]
pub struct RedirectPageView {
    /// The redirect.
    pub redirect: RedirectView,
}

/// An alias redirect.
#[derive(Debug, Clone, Serialize)]
pub struct RedirectView {
    /// The alias.
    pub alias: String,
    /// Target title.
    pub title: String,
    /// Target URL.
    pub url: String,
    /// Target canonical URL.
    pub canonical: String,
}

/// Root of `404.html`.
#[derive(Debug, Clone, Serialize)]
pub struct NotFoundPageView {
    /// Page metadata.
    pub meta: PageMeta,
}
