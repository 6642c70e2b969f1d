"""Render the sample document of the README (a study abstract and a contract clause set) with pymupdf.

The text is written for factloom; names of people and companies in it are invented. The layout
has what real PDFs have: a one-column first page, a two-column page, section headings, a running
header and page numbers.

Usage: python scripts/make_sample_pdf.py samples/sample.pdf
"""

from __future__ import annotations

import sys
from pathlib import Path

import pymupdf

FIXED_DATE = "D:20240301000000Z"
"""A fixed date, so that every build of the sample has the same bytes (and document id)."""
HEADER = "Factloom sample document: clinical study and supply agreement"
PAGE = pymupdf.paper_rect("a4")
MARGIN = 56
CSS = """
* {font-family: sans-serif; font-size: 10pt; line-height: 1.35;}
h1 {font-size: 16pt; font-weight: bold; margin-bottom: 6pt;}
h2 {font-size: 12.5pt; font-weight: bold; margin-top: 10pt; margin-bottom: 3pt;}
h3 {font-size: 11pt; font-weight: bold; margin-top: 8pt; margin-bottom: 2pt;}
p {margin-bottom: 5pt; text-align: justify;}
p.meta {font-size: 9pt; text-align: left;}
"""

STUDY_INTRO = """
<h1>Metformin and Hepatic Steatosis in Adults with Type 2 Diabetes: a Randomised Controlled Trial</h1>
<p class="meta">Amelia Okafor, MD, PhD (Northbridge University Hospital, Leeds, United Kingdom);
Jonas Lindqvist, MSc (Karlsborg Institute of Metabolic Research, Uppsala, Sweden);
Priya Raman, MD (Coastal Health Sciences Centre, Chennai, India).
Correspondence: Dr. Amelia Okafor, Department of Hepatology, Northbridge University Hospital,
Leeds LS2 9JT.</p>
<h2>Abstract</h2>
<h3>Background</h3>
<p>Non-alcoholic fatty liver disease (NAFLD) affects more than half of adults with type 2 diabetes
and is a leading cause of cirrhosis and hepatocellular carcinoma. Metformin lowers blood glucose,
but its effect on liver fat is uncertain. We tested whether metformin, added to lifestyle advice,
reduces hepatic steatosis more than lifestyle advice alone.</p>
<h3>Methods</h3>
<p>In this double-blind trial at three centres in Leeds, Uppsala and Chennai, 212 adults with type 2
diabetes and hepatic steatosis were randomly assigned to metformin 1,000 mg twice daily or placebo
for 48 weeks. The primary outcome was the change in liver fat fraction measured by magnetic
resonance imaging. Secondary outcomes were alanine aminotransferase (ALT), glycated haemoglobin
(HbA1c), body weight and adverse events. The trial was funded by the Northbridge Hospitals
Charitable Trust and registered as ISRCTN 48213907.</p>
<h3>Results</h3>
<p>Liver fat fell by 4.1 percentage points with metformin and by 1.3 points with placebo (difference
2.8 points; 95% CI 1.6 to 4.0; p &lt; 0.001). ALT and HbA1c also improved. Gastrointestinal symptoms,
mostly diarrhoea and nausea, were more frequent with metformin (31% vs 12%). One case of lactic
acidosis occurred in the metformin group, in a patient with acute kidney injury. Patients who also
took atorvastatin had a larger fall in liver fat than those who did not.</p>
<h3>Conclusions</h3>
<p>In adults with type 2 diabetes, metformin reduced hepatic steatosis over 48 weeks. Clinicians
should weigh this benefit against gastrointestinal intolerance and the rare risk of lactic acidosis
in patients with impaired renal function.</p>
"""

STUDY_BODY = """
<h2>1. Introduction</h2>
<p>Hepatic steatosis is the accumulation of triglycerides in hepatocytes. In type 2 diabetes,
insulin resistance increases the flow of free fatty acids to the liver, and steatosis progresses to
steatohepatitis and fibrosis in about one patient in five. Pioglitazone and glucagon-like peptide-1
receptor agonists such as semaglutide reduce liver fat, but weight gain, cost and injection limit
their use. Metformin is cheap, oral and the first-line drug for type 2 diabetes worldwide.</p>
<p>Earlier trials of metformin in NAFLD were small, short and enrolled few patients with diabetes.
The Leeds-Uppsala-Chennai (LUC) trial was designed to answer the question in the population that
carries most of the burden of the disease.</p>
<h2>2. Methods</h2>
<h3>2.1 Participants</h3>
<p>Adults aged 30 to 75 years with type 2 diabetes for at least one year, HbA1c between 6.5% and
9.5%, and a liver fat fraction of 8% or more were eligible. We excluded patients with viral
hepatitis, alcohol intake above 20 g a day, an estimated glomerular filtration rate below
45 mL/min, and those already taking metformin, pioglitazone or insulin.</p>
<h3>2.2 Interventions</h3>
<p>Participants received metformin or an identical placebo, starting at 500 mg once daily and rising
to 1,000 mg twice daily over four weeks. All participants received the same dietary advice from a
dietitian at weeks 0, 12 and 24. Statins, including atorvastatin and rosuvastatin, were continued
at the dose prescribed before the trial.</p>
<h3>2.3 Outcomes and statistics</h3>
<p>The liver fat fraction was measured by proton density fat fraction MRI at baseline and week 48 and
read centrally in Uppsala by radiologists unaware of the assignment. We estimated that 200 patients
would give 90% power to detect a difference of 2 percentage points. Analyses followed the
intention-to-treat principle; missing outcomes were imputed by multiple imputation.</p>
<h2>3. Results</h2>
<p>Between March 2019 and October 2021, 212 patients were enrolled: 94 in Leeds, 61 in Uppsala and
57 in Chennai. Mean age was 58 years, 41% were women, and mean liver fat fraction was 17.2%. Eleven
patients in the metformin group and seven in the placebo group stopped treatment early, most often
because of diarrhoea.</p>
<p>Metformin reduced the liver fat fraction, ALT and HbA1c compared with placebo. The effect was
similar in the three centres and larger in patients taking atorvastatin. Lactic acidosis occurred in
one patient taking metformin who developed acute kidney injury after dehydration; she recovered
after haemodialysis at Northbridge University Hospital.</p>
"""

CONTRACT = """
<h1>Supply and Distribution Agreement</h1>
<p>This Supply and Distribution Agreement (the "Agreement") is made on 1 March 2024 (the "Effective
Date") between Halvorsen Biotech AS, a company organised under the laws of Norway with its
registered office in Bergen, Norway ("Supplier"), and Meridian Pharma Distribution LLC, a Delaware
limited liability company with its principal office in Austin, Texas ("Distributor").</p>
<h2>1. Appointment and Exclusivity</h2>
<p>1.1 Supplier appoints Distributor as its exclusive distributor of the metformin extended-release
tablets described in Schedule A (the "Products") in the United States and Canada (the "Territory").
1.2 Distributor shall not sell products that compete with the Products in the Territory during the
Term and for twelve months after it ends.</p>
<h2>2. Term and Termination</h2>
<p>2.1 This Agreement starts on the Effective Date and continues for three years, until 28 February
2027 (the "Term"). It renews for successive one-year periods unless either party gives written
notice of non-renewal at least ninety days before the end of the then-current term.
2.2 Either party may terminate this Agreement by written notice if the other party commits a
material breach that is not remedied within thirty days of notice of the breach.</p>
<h2>3. Minimum Purchase Commitment</h2>
<p>Distributor shall purchase Products worth at least USD 2,500,000 in each contract year. If
Distributor fails to meet the minimum in any year, Supplier may end the exclusivity in Section 1.1
on sixty days' written notice.</p>
<h2>4. Confidentiality</h2>
<p>Each party shall keep confidential all information received from the other party and marked as
confidential, and shall use it only to perform this Agreement. This obligation survives for five
years after termination.</p>
<h2>5. Governing Law and Disputes</h2>
<p>This Agreement is governed by the laws of the State of New York, without regard to its conflict of
laws rules. Any dispute arising out of this Agreement shall be finally settled by arbitration under
the Rules of the International Chamber of Commerce, seated in New York City.</p>
<h2>6. Notices</h2>
<p>Notices shall be sent to Supplier at Strandkaien 14, 5013 Bergen, Norway, attention Ingrid
Halvorsen, and to Distributor at 900 Congress Avenue, Austin, Texas 78701, attention Marcus T.
Delgado.</p>
<p>Signed for Halvorsen Biotech AS by Ingrid Halvorsen, Chief Executive Officer, and for Meridian
Pharma Distribution LLC by Marcus T. Delgado, President, on the Effective Date.</p>
"""


def _flow(writer: pymupdf.DocumentWriter, html: str, columns: int) -> None:
    """Lay ``html`` out on as many pages as it needs, in ``columns`` columns."""
    story = pymupdf.Story(html=html, user_css=CSS)
    width = (PAGE.width - 2 * MARGIN - (columns - 1) * 18) / columns
    more = True
    while more:
        device = writer.begin_page(PAGE)
        for i in range(columns):
            x0 = MARGIN + i * (width + 18)
            more, _ = story.place(pymupdf.Rect(x0, MARGIN + 20, x0 + width, PAGE.height - MARGIN - 10))
            story.draw(device)
            if not more:
                break
        writer.end_page()


def _header_and_numbers(path: Path) -> None:
    """Stamp the running header and the page numbers on every page."""
    with pymupdf.open(path) as doc:
        for page in doc:
            page.insert_text((MARGIN, 36), HEADER, fontsize=8, fontname="helv")
            label = f"Page {page.number + 1} of {doc.page_count}"
            page.insert_text((PAGE.width / 2 - 25, PAGE.height - 28), label, fontsize=8, fontname="helv")
        doc.set_metadata({
            "title": "Factloom sample: metformin trial and supply agreement",
            "creationDate": FIXED_DATE,
            "modDate": FIXED_DATE,
        })
        doc.save(path, incremental=True, encryption=pymupdf.PDF_ENCRYPT_KEEP, no_new_id=True)


def make_sample(path: Path) -> None:
    """Write the sample PDF to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = pymupdf.DocumentWriter(str(path))
    _flow(writer, STUDY_INTRO, columns=1)
    _flow(writer, STUDY_BODY, columns=2)
    _flow(writer, CONTRACT, columns=1)
    writer.close()
    _header_and_numbers(path)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/make_sample_pdf.py OUT.pdf")
    make_sample(Path(sys.argv[1]))
