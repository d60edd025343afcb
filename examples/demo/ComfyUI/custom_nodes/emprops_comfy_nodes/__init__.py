# Stand-in for the emprops custom nodes: reads its .env the way the real node does.
import os
from dotenv import load_dotenv

load_dotenv(os.path.join(os.path.dirname(__file__), ".env"))
