#!/usr/bin/env python3
"""Import the five seed documents into content/sources/ as refwiki source files.

Run once from the repository root: python3 tools/import_seeds.py ../shared/seeds
Keeps every sentence verbatim; drops web-page chrome (menus, repeated titles, bylines
already in the front matter, pull quotes that repeat the body, comment widgets, tag lists)
and marks headings as Markdown headings. Each remaining line of a seed is one passage.
"""
import pathlib
import sys

SEEDS = {
    "000_433bfd8f2415cdbc.txt": dict(
        id="lwj-2020-jnim-seeks-french-withdrawal",
        title="Al Qaeda’s West African branch seeks French withdrawal, then negotiations",
        author="Thomas Joscelyn",
        publisher="FDD’s Long War Journal",
        note="Undated in the archived text; written in 2020, shortly after JNIM’s March 2020 statement. Analysis of JNIM’s two-page statement “Regarding the Calls for Negotiations”.",
        drop_from="Tags:",
        h2=["Al-Qaeda portrays itself as a populist movement", "“No pre-conditions” — except one",
            "Al-Qaeda seeks jihadist governance", "Al-Qaeda has long approved of negotiating with “apostates”"],
        h3=[], quote=[], drop=[],
    ),
    "001_8f9a02237bcbbaf6.txt": dict(
        id="jnim-merger-profile-2020",
        title="Jama’at Nasr al-Islam wal Muslimin: a merger of al-Qaeda affiliates",
        note="Author, publisher and date unknown; written in 2020 (“Earlier this year, JNIM released a two-page statement”). Group profile: background, allegiances, strength, prospects.",
        drop_from="View Comments (0)",
        h2=["BACKGROUND", "MOTIVES AND ALLEGIANCES", "STRENGTH AND OPERATIONS", "PROSPECTS FOR THE FUTURE", "See Also"],
        h3=[], quote=[], drop=["Menu", "Now Reading"],
    ),
    "002_0c4a5aed1345fccc.txt": dict(
        id="jamestown-2012-al-qaeda-support-crumbles",
        title="Al-Qaeda Support in Northern Mali Begins to Crumble as Allies Pull Back",
        author="Andrew McGregor",
        publisher="Jamestown Foundation, Terrorism Monitor",
        date="2012-11-15",
        note="Ansar al-Din’s negotiations in Ouagadougou and Algiers; AQIM, Belmokhtar, MUJWA.",
        drop_from=None,
        h2=[], h3=[], quote=["We, as a neighboring country"],
        drop=["Andrew McGregor", "November 15, 2012", "Ould BoumamaSanda Ould Boumama"],
    ),
    "003_bf4709552543646e.txt": dict(
        id="enabling-dialogue-2021",
        title="Mali: Enabling Dialogue with the Jihadist Coalition JNIM",
        date="2021-12-10",
        note="Author unknown (the report is signed “Bamako/Dakar/Brussels”); publisher not named in the text (a policy report). Long report: JNIM’s rise, strategy, governance, local ceasefires, perspectives on dialogue.",
        drop_from=None,
        h2=["Principal Findings", "Executive Summary", "Introduction", "II. JNIM: Rise of a Malian Jihadist Coalition",
            "III. Local Dialogue Initiatives", "Perspectives on Dialogue", "Enabling Dialogue with JNIM", "VI. Conclusion"],
        h3=["A. A Jihadist Coalition", "B. JNIM’s Strategy", "C. Sharia Enforcement: Between Ideology and Pragmatism",
            "A. A Mutually Hurting Stalemate", "B. Local Ceasefire Accords", "A Course Change", "B. JNIM’s View on Dialogue",
            "C. Mali’s Partners’ Stance", "A. Easing Resistance to Dialogue", "Appointing Negotiators",
            "C. A Wider Dialogue on Sharia and Secularism", "D. Finding a Mediator"],
        quote=[], drop=[],
    ),
    "004_88e1563c7d2dddbf.txt": dict(
        id="jamestown-2017-al-qaeda-alliance-warning",
        title="Mali: al-Qaeda Alliance a Warning to Islamic State",
        author="Alexander Sehmer",
        publisher="Jamestown Foundation, Terrorism Monitor Volume 15 Issue 6",
        date="2017-03-24",
        url="https://www.refworld.org/docid/58d8f5484.html",
        note="JNIM’s formation and the Boulikessi attack; republished on Refworld.",
        drop_from="Copyright notice:",
        h2=[], h3=[], quote=[],
        drop=["Publisher Jamestown Foundation", "Author Alexander Sehmer", "Publication Date 24 March 2017",
              "Link to original story on Jamestown website"],
        drop_prefix=["Last Updated:", "Citation / Document Symbol", "Cite as ", "DisclaimerThis"],
    ),
}


def toml_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main(seed_dir, out_dir):
    for name, m in SEEDS.items():
        lines = [l.strip() for l in (pathlib.Path(seed_dir) / name).read_text(encoding="utf-8").splitlines()]
        blocks = []
        for line in lines:
            if m["drop_from"] and line.startswith(m["drop_from"]):
                break
            if not line or line == m["title"] or line in m["drop"]:
                continue
            if any(line.startswith(p) for p in m.get("drop_prefix", [])):
                continue
            # Pull quotes repeat a sentence of the body between ” … “ marks: page chrome.
            if line.startswith("” ") and line.endswith(" “"):
                continue
            if line in m["h2"]:
                blocks.append("## " + line)
            elif line in m["h3"]:
                blocks.append("### " + line)
            elif any(line.startswith(q) for q in m["quote"]):
                blocks.append("> " + line)
            else:
                blocks.append(line)
        fm = ["+++", f"title = {toml_str(m['title'])}"]
        for key in ("author", "publisher"):
            if key in m:
                fm.append(f"{key} = {toml_str(m[key])}")
        if "date" in m:
            fm.append(f"date = {m['date']}")
        if "url" in m:
            fm.append(f"url = {toml_str(m['url'])}")
        fm.append(f"note = {toml_str(m['note'])}")
        fm.append("+++")
        text = "\n".join(fm) + "\n\n" + "\n\n".join(blocks) + "\n"
        (pathlib.Path(out_dir) / (m["id"] + ".md")).write_text(text, encoding="utf-8")
        print(m["id"], len(blocks), "passages")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/seeds", "content/sources")
