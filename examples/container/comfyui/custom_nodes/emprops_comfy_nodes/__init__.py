# Stand-in for the emprops custom nodes: reads its .env as the real node does, without overriding
# what the environment already has.
import os
from dotenv import load_dotenv

load_dotenv(os.path.join(os.path.dirname(__file__), ".env"), override=False)
