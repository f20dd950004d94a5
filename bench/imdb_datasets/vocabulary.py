"""The words the synthetic datasets are made of: titles, names, genres, jobs and characters.

Every list is small; chunks only draw integer indices into lookup tables built from them. The
odd values IMDb really holds are here on purpose: double quotes inside and at the start of a
field, apostrophes, accents, other scripts, and names with a comma.
"""

from itertools import combinations

GENRES = ["Action", "Adult", "Adventure", "Animation", "Biography", "Comedy", "Crime",
          "Documentary", "Drama", "Family", "Fantasy", "Film-Noir", "Game-Show", "History",
          "Horror", "Music", "Musical", "Mystery", "News", "Reality-TV", "Romance", "Sci-Fi",
          "Short", "Sport", "Talk-Show", "Thriller", "War", "Western"]
# Adult and Short are never drawn: they follow isAdult and the short title types.
GENRE_WEIGHTS = [6, 0, 4, 3, 2, 12, 6, 9, 16, 3, 3, 0.3, 1, 2, 4, 3, 1, 3, 1, 2, 6, 2, 0, 2,
                 1, 5, 1, 1]
ADULT, SHORT = GENRES.index("Adult"), GENRES.index("Short")
# Titles of these genres list their cast as "self".
SELF_GENRES = [GENRES.index(g) for g in ("Documentary", "Game-Show", "News", "Reality-TV",
                                         "Talk-Show")]

CATEGORIES = ["actor", "actress", "self", "director", "writer", "producer", "composer",
              "cinematographer", "editor", "production_designer", "casting_director",
              "archive_footage"]
ACTOR, ACTRESS, SELF, DIRECTOR, WRITER = range(5)
ARCHIVE = CATEGORIES.index("archive_footage")
# Where title.crew names no director or writer, their slot in the billing goes to one of these.
UNCREDITED_SLOT = [("producer", 4), ("composer", 2), ("cinematographer", 2), ("editor", 2)]

# After the cast, a title's principals follow one of these crew billings (category names).
CREW_BILLINGS = [
    ["director", "writer", "writer", "producer", "composer", "cinematographer", "editor",
     "production_designer", "casting_director", "producer"],
    ["director", "writer", "producer", "producer", "composer", "cinematographer", "editor",
     "casting_director", "production_designer", "writer"],
    ["director", "producer", "writer", "composer", "editor", "cinematographer", "producer",
     "production_designer", "casting_director", "writer"],
    ["writer", "director", "producer", "composer", "cinematographer", "editor",
     "casting_director", "production_designer", "producer", "writer"],
    ["director", "writer", "writer", "producer", "producer", "composer", "cinematographer",
     "editor", "casting_director", "production_designer"],
]

# category -> (job, weight); None is written as \N.
JOBS = {
    "writer": [(None, 40), ("screenplay", 20), ("written by", 15), ("story", 10),
               ("novel", 5), ("teleplay", 5), ("characters", 5)],
    "producer": [("producer", 60), ("executive producer", 25), ("co-producer", 10),
                 ("line producer", 5)],
    "director": [(None, 97), ("co-director", 3)],
    "cinematographer": [(None, 50), ("director of photography", 50)],
    "editor": [(None, 70), ("film editor", 30)],
    "casting_director": [(None, 60), ("casting director", 40)],
    "composer": [(None, 85), ("original music", 15)],
}

SELF_ROLES = [("Self", 60), ("Self - Host", 15), ("Self - Guest", 15), ("Self - Contestant", 6),
              ("Narrator", 4)]
BAND_ROLE = "Themselves"

FEMALE_FIRST = [
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah",
    "Karen", "Nancy", "Lisa", "Betty", "Margaret", "Sandra", "Ashley", "Emily", "Donna",
    "Michelle", "Carol", "Amanda", "Melissa", "Deborah", "Stephanie", "Rebecca", "Laura",
    "Helen", "Sharon", "Cynthia", "Kathleen", "Amy", "Angela", "Anna", "Ruth", "Julia", "Yuki",
    "Mei", "Priya", "Fatima", "Olga", "Ingrid", "Giulia", "Greta", "Camille", "Lucía", "Zoë",
    "Léa", "Renée", "Chloë", "Siân", "Noémie", "Agnès", "Małgorzata", "Şebnem", "Ana-María",
    "Aoife", "Dagný", "Nadège", "Inés", "Ximena",
]
MALE_FIRST = [
    "James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas",
    "Charles", "Daniel", "Matthew", "Anthony", "Mark", "Paul", "Steven", "Andrew", "Kenneth",
    "Joshua", "Kevin", "Brian", "George", "Edward", "Ryan", "Jacob", "Gary", "Nicholas", "Eric",
    "Jonathan", "Larry", "Frank", "Scott", "Justin", "Samuel", "Gregory", "Alexander",
    "Hiroshi", "Kenji", "Raj", "Ahmed", "Ivan", "Lars", "Marco", "Hans", "Pierre", "Diego",
    "José", "Björn", "Søren", "Andrés", "François", "Jürgen", "Łukasz", "Çağan", "Thorsteinn",
    "Jean-Luc", "Seán", "Ólafur", "Raúl", "Zoltán",
]
LAST = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Tanaka", "Suzuki", "Kowalski",
    "Novak", "Rossi", "Bianchi", "Schmidt", "Fischer", "Lindqvist", "Dubois", "Lefebvre",
    "Ivanova", "Kapoor", "Chen", "Wang", "Park", "O'Brien", "O'Connell", "O'Toole", "D'Amico",
    "Nyong'o", "Muñoz", "Müller", "Peña", "Almodóvar", "Núñez", "Søndergaard", "Désormeaux",
    "Saldaña", "Gyllenhaal", "Żuławski", "Öztürk", "Þórsdóttir", "Van der Berg", "de la Cruz",
    "Mac Giolla Phádraig", "Ní Bhriain", "Abu-Khalil", "Dvořák", "Kieślowski",
]
CJK_SURNAMES = ["王", "李", "張", "劉", "陳", "楊", "黃", "田中", "鈴木", "佐藤", "김", "박"]
CJK_GIVEN = ["菲", "偉", "芳", "娜", "秀英", "敏", "静", "健太", "花子", "翔", "민준", "서연"]
# Names as IMDb spells them, given now and then in place of a generated one.
NOTABLE_NAMES = [
    "Zoë Saldaña", "Björk", "Chloë O'Brien", '"Weird Al" Yankovic', "王菲", "Renée",
    "Sinéad O'Connor", "Penélope Cruz", "Gérard Depardieu", "Mads Mikkelsen", "Ólafur Arnalds",
    'Dwayne "The Rock" Johnson', "Cher", "周杰伦", "坂本龍一", "Bérénice Bejo", "Jürgen Prochnow",
    "Ryūichi Sakamoto", "Ángela Molina", "Ewan McGregor", "Lupita Nyong'o",
]
BANDS = ["Earth, Wind & Fire", "Crosby, Stills, Nash & Young", "Peter, Paul and Mary",
         "Emerson, Lake & Palmer", "Blood, Sweat & Tears"]

# (professions, weight) by gender of the name; IMDb lists up to three, most telling first.
PROFESSIONS_FEMALE = [
    ("actress", 40), ("actress,soundtrack", 5), ("actress,producer", 3),
    ("actress,writer,director", 1), ("miscellaneous", 8), ("writer", 5), ("producer", 5),
    ("director,writer,producer", 2), ("casting_director", 2), ("editor", 2),
    ("make_up_department", 3), ("costume_department", 2), ("art_department", 2),
    ("self", 5), ("music_department,soundtrack", 2), ("production_manager", 1), (None, 12),
]
PROFESSIONS_MALE = [
    ("actor", 40), ("actor,soundtrack", 5), ("actor,producer", 3), ("actor,writer,director", 1),
    ("miscellaneous", 8), ("writer", 5), ("producer", 5), ("director,writer,producer", 3),
    ("camera_department,cinematographer", 3), ("editor,editorial_department", 2),
    ("sound_department", 3), ("composer,music_department,soundtrack", 2), ("stunts", 2),
    ("visual_effects,animation_department", 2), ("self", 3), (None, 11),
]
BAND_PROFESSIONS = "soundtrack,music_department"

ADJECTIVES = ["Silent", "Last", "Broken", "Hidden", "Golden", "Dark", "Lost", "Eternal",
              "Crimson", "Forgotten", "Wild", "Final", "Burning", "Distant", "Secret", "Frozen",
              "Midnight", "Savage", "Quiet", "Endless", "Bitter", "Electric", "Hollow", "Restless"]
NOUNS = ["River", "Kingdom", "Shadow", "Empire", "Storm", "Garden", "Night", "Promise", "City",
         "Heart", "Road", "Mirror", "Frontier", "Summer", "Island", "Machine", "Witness",
         "Horizon", "Legacy", "Harbor", "Stranger", "Winter", "Signal", "Crown", "Dream",
         "Station", "Circus", "Orchard", "Tide", "Fortress", "Café", "Rendezvous"]
QUOTED = ["Great", "Perfect", "Dreamers", "Outsiders", "Innocent", "Lucky Few", "Real"]
FOREIGN = ["L'Été", "Amélie", "東京物語", "Ölüm", "La Dolce Vita", "Das Boot", "Cidade de Deus",
           "Ladri di biciclette", "El laberinto del fauno", "Der Himmel über Berlin",
           "千と千尋の神隠し", "기생충", "Крылья", "Идиот", "Çocuklar", "Łódź nocą", "Żona",
           "Tystnaden", "Zärtlichkeit", "Les Misérables", "Ça commence aujourd'hui",
           "Jeanne d'Arc", "Kærlighed", "Sátántangó", "Şeytan", "Ya no estoy aquí", "Ναυάγιο",
           "حياة", "Mørke", "Été 85"]
SEQUELS = [" 2", " II", " III", ": Part Two", " Returns", ": The Beginning"]

ROLE_WORDS = ["Detective", "Dr.", "Officer", "Captain", "Nurse", "Professor", "Agent",
              "Sergeant", "Father", "Mrs."]
EXTRAS = ["Bartender", "Waitress", "Man in Bar", "Party Guest", "Reporter", "Narrator",
          "Young Boy", "Old Woman", "Taxi Driver", "Soldier", "Dancer", "Bystander"]


def title_templates() -> tuple[list[list[str]], list[float]]:
    """Title variants with their weights: plain English, quoted and foreign ones."""
    variants = [
        [f"The {a} {n}" for a in ADJECTIVES for n in NOUNS],
        [f"{a} {n}" for a in ADJECTIVES for n in NOUNS],
        [f"The {n} of the {a} {m}" for n in NOUNS for a in ADJECTIVES for m in NOUNS],
        [f"{n} and {m}" for n in NOUNS for m in NOUNS if n != m],
        [f"{a} {n}{s}" for a in ADJECTIVES for n in NOUNS for s in SEQUELS],
        [f'The "{q}" {n}' for q in QUOTED for n in NOUNS]
        + [f'"{q}" {n}' for q in QUOTED for n in NOUNS],
        FOREIGN + [f"{f}{s}" for f in FOREIGN for s in SEQUELS],
    ]
    return variants, [0.3, 0.2, 0.2, 0.13, 0.06, 0.01, 0.1]


def character_names(first: list[str]) -> list[str]:
    """Characters an actor plays, given the first names that suit them: full names, titled
    names and bit parts."""
    return ([f"{f} {last}" for f in first for last in LAST[::3]]
            + [f"{r} {last}" for r in ROLE_WORDS for last in LAST[::2]]
            + EXTRAS)  # fmt: skip


def genre_table() -> list[str | None]:
    """Code of a sorted genre-index triple (len(GENRES) = unused slot) -> IMDb's genre list."""
    n = len(GENRES)
    table: list[str | None] = [None] * (n + 1) ** 3
    for k in (1, 2, 3):
        for combo in combinations(range(n), k):
            a, b, c = list(combo) + [n] * (3 - k)
            table[(a * (n + 1) + b) * (n + 1) + c] = ",".join(GENRES[i] for i in combo)
    return table
