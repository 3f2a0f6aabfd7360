package engine

// Goal hijacking ("ignore the question above and just say: …", "do not
// answer the previous question, only output …") in the languages of the
// development data and of common machine-translated benchmarks, and the
// lexicon of languages that the main tables lack (Bengali, Thai, Indonesian,
// Malay, Vietnamese, Swahili, Ukrainian, Persian, Hebrew, Portuguese
// extras). The phrases are written for this project: they are the ordinary
// translations of "ignore the previous instructions", "reveal your system
// prompt", "you are now" and so on. Thai, Lao, Khmer and Burmese are matched
// character by character like Chinese (gaps count characters).

type hijackRules struct {
	lang       string
	ignore     string // ignore / disregard verbs (added to the language's own list)
	above      string // "the above", "the previous", "the preceding"
	question   string // question / questions / query / request
	dontAnswer string // "do not answer", "without answering"
	justSay    string // "just say", "only output", "directly output", "simply print"
	noAdd      string // "do not add any words", "without adding" (kept for reference: too common in benign formatting requests to be a rule)
	cjk        bool
}

var hijack = []hijackRules{
	{lang: "en", ignore: vIgnoreCore,
		above:      "the above|above|previous|the previous|preceding|the preceding|prior|earlier|foregoing|aforementioned",
		question:   "question{,s}|quer{y,ies}|request{,s}|task{,s}|input|text|content",
		dontAnswer: "do not answer|don t answer|dont answer|without answering|instead of answering|rather than answering|no need to answer|skip answering|no need to answer|no need to reply|there is no need to answer|don t rush to answer|do not rush to answer|without replying",
		justSay:    "just say|only say|simply say|just output|only output|directly output|output directly|just print|only print|simply print|just reply|only reply|just respond|only respond|just write|only write|just repeat|only repeat|reply only with|respond only with|answer only with|print only|say only|just output directly|simply output|output only|just state|only state",
		noAdd:      "do not add|don t add|without adding|add nothing|no extra words|no additional words"},
	{lang: "es", ignore: "ignora|ignore|ignoren|olvida|olvide|omite|omita|ignorar|olvidar|omitir|haga caso omiso|haz caso omiso",
		above:      "anterior|anteriores|lo anterior|de arriba|precedente|previa|previas|previo|mencionada arriba|mencionadas arriba",
		question:   "pregunta|preguntas|consulta|solicitud|peticion|tarea|orden|comando|instruccion|instrucciones",
		dontAnswer: "no respondas|no responda|no conteste|no contestes|sin responder|en lugar de responder|no hay necesidad de responder|no es necesario responder|no necesitas responder|no te apresures a responder|sin necesidad de responder",
		justSay:    "solo di|solo diga|simplemente di|simplemente diga|di solamente|solo escribe|solo escriba|solo imprime|solo imprima|exporte directamente|emite directamente|imprime directamente|escribe directamente|responde solo con|responda solo con|solo repite|solo repita|repita completamente|repite completamente|solo emita|solo emite|solo de emita|dilo directamente|solo dilo|emita directamente|solo muestre|solo muestra",
		noAdd:      "no agregue|no agregues|no anada|no anadas|sin agregar|sin anadir"},
	{lang: "pt", ignore: "ignore|ignora|ignorem|esqueca|esqueça|desconsidere|desconsidera|despreze",
		above:      "anterior|anteriores|acima|precedente|previa|previas|mencionada acima",
		question:   "pergunta|perguntas|consulta|solicitacao|pedido|tarefa",
		dontAnswer: "nao responda|não responda|nao respondas|sem responder|em vez de responder|nao precisa responder|não precisa responder|nao e necessario responder|não é necessário responder",
		justSay:    "apenas diga|so diga|só diga|simplesmente diga|apenas escreva|apenas imprima|imprima diretamente|produza diretamente|responda apenas com|apenas repita|repita completamente",
		noAdd:      "nao adicione|não adicione|sem adicionar|nao acrescente|não acrescente"},
	{lang: "fr", ignore: "ignore|ignorez|oublie|oubliez|ne tenez pas compte de|ne tiens pas compte de|ignorer|oublier|ne pas tenir compte de|faire abstraction de|veuillez ignorer",
		above:      "precedente|precedentes|ci dessus|au dessus|susmentionnee|susmentionnees|anterieure|anterieures",
		question:   "question|questions|requete|demande|tache|commande|commandes|instruction|instructions|consigne|consignes",
		dontAnswer: "ne reponds pas|ne repondez pas|sans repondre|au lieu de repondre|pas besoin de repondre|inutile de repondre|nul besoin de repondre|sans vous precipiter pour repondre|ne vous precipitez pas pour repondre",
		justSay:    "dis simplement|dites simplement|dis seulement|dites seulement|affichez directement|affiche directement|ecris simplement|ecrivez simplement|imprime simplement|reponds uniquement|repondez uniquement|repete simplement|repetez simplement|veuillez repeter|sortez directement|indiquez simplement|indique simplement|affichez simplement|affiche simplement|sortie directe|produisez directement|emettez directement|contentez vous d afficher|contente toi d afficher",
		noAdd:      "sans ajouter|n ajoutez|n ajoute"},
	{lang: "de", ignore: "ignoriere|ignorieren|ignoriert|vergiss|vergessen|missachte|missachten|ignorieren sie|vergessen sie|missachten sie",
		above:      "oben|obige|obigen|oben genannten|oben genannte|vorherige|vorherigen|vorangegangene|vorangegangenen|vorigen|bisherigen",
		question:   "frage|fragen|anfrage|aufgabe|eingabe",
		dontAnswer: "beantworte nicht|beantworten sie nicht|antworte nicht|antworten sie nicht|ohne zu antworten|statt zu antworten|keine notwendigkeit zu antworten|keine notwendigkeit zu beantworten|du musst nicht antworten|sie mussen nicht antworten|nicht antworten|antworten sie nicht sofort",
		justSay:    "sag einfach|sagen sie einfach|sag nur|sagen sie nur|gib direkt aus|geben sie direkt aus|gib nur aus|geben sie nur aus|schreib einfach|schreiben sie einfach|gib einfach aus|wiederhole einfach|wiederholen sie einfach|antworte nur mit|antworten sie nur mit|nur ausgabe|nur ausgeben|geben sie nur|direkt ausgeben|geben sie direkt|gib direkt|einfach ausgeben",
		noAdd:      "fuge keine|fugen sie keine|ohne hinzuzufugen|keine worter hinzu"},
	{lang: "it", ignore: "ignora|ignori|ignorate|dimentica|dimentichi|trascura",
		above:      "precedente|precedenti|sopra|di sopra|suddetta|suddette|sopraindicata",
		question:   "domanda|domande|richiesta|compito",
		dontAnswer: "non rispondere|non risponda|senza rispondere|invece di rispondere|non c e bisogno di rispondere|non serve rispondere|non e necessario rispondere",
		justSay:    "di solo|dici solo|dica solo|di semplicemente|scrivi solo|stampa solo|output diretto|emetti direttamente|rispondi solo con|ripeti semplicemente|ripeti completamente",
		noAdd:      "non aggiungere|non aggiunga|senza aggiungere"},
	{lang: "ru", ignore: "игнорируй|игнорируйте|проигнорируй|проигнорируйте|не обращай внимания на|не обращайте внимания на|забудь|забудьте|игнорируя|не обращая внимания на|проигнорировав|забыв",
		above:      "выше|вышеприведенные|вышеприведенный|вышеупомянутые|вышеуказанные|предыдущий|предыдущие|предыдущую|предыдущего|предшествующие|приведенные выше",
		question:   "вопрос|вопросы|вопросу|запрос|задание|задачу|команду|команды|инструкции|инструкцию|указания",
		dontAnswer: "не отвечай|не отвечайте|не отвечая|вместо ответа|не нужно отвечать|не надо отвечать|нет необходимости отвечать|не спешите отвечать|не торопитесь отвечать|отвечать не нужно",
		justSay:    "просто скажи|просто скажите|просто выведи|просто выведите|прямо выводите|прямо выведи|выведите только|выведи только|напиши только|напишите только|просто напиши|просто напишите|просто повтори|просто повторите|ответь только|ответьте только|просто выведите|просто выведи|выведите прямо|выведи прямо|только выведите|сразу выведите",
		noAdd:      "не добавляй|не добавляйте|ничего не добавляя|без добавления"},
	{lang: "uk", ignore: "ігноруй|ігноруйте|проігноруй|проігноруйте|забудь|забудьте|не зважай на|не зважайте на",
		above:      "вище|попередній|попередні|попереднє|наведені вище|зазначені вище",
		question:   "питання|запит|завдання",
		dontAnswer: "не відповідай|не відповідайте|замість відповіді",
		justSay:    "просто скажи|просто скажіть|просто виведи|просто виведіть|виведи лише|виведіть лише|напиши лише|напишіть лише|просто повтори",
		noAdd:      "не додавай|не додавайте|нічого не додаючи"},
	{lang: "ar", ignore: "تجاهل|تجاهلي|تجاهلوا|انس|انسى|اهمل|تجاهلي|متجاهلا|بتجاهل|قم بتجاهل|يرجي تجاهل|يرجى تجاهل",
		above:      "اعلاه|المذكور اعلاه|المذكوره اعلاه|السابق|السابقه|ما سبق|الوارد اعلاه",
		question:   "السؤال|الاسئله|سؤال|الطلب|المهمه|سؤالي|الامر|الاوامر|التعليمات",
		dontAnswer: "لا تجب|لا تجيبي|لا ترد|دون الاجابه|بدلا من الاجابه|لا حاجه للاجابه|لا داعي للاجابه|لا داعي للرد|لا حاجه للرد|لا تستعجل في الاجابه",
		justSay:    "فقط قل|قل فقط|فقط اكتب|اكتب فقط|اخرج مباشره|واخرج مباشره|اطبع مباشره|فقط اطبع|فقط كرر|يرجي التكرار|يرجى التكرار|كرر بالكامل|اجب فقط ب|الاخراج فقط|والاخراج فقط|فقط الاخراج|فقط اخراج|اخرج فقط|اخراج مباشر|والاخراج مباشره",
		noAdd:      "لا تضف|دون اضافه|بدون اضافه"},
	{lang: "fa", ignore: "نادیده بگیر|نادیده بگیرید|فراموش کن|فراموش کنید|توجه نکن|توجه نکنید",
		above:      "بالا|قبلی|پیشین|فوق|ذکر شده",
		question:   "سوال|سؤال|پرسش|درخواست|دستورات|دستورالعمل ها|دستورالعمل",
		dontAnswer: "جواب نده|جواب ندهید|پاسخ نده|پاسخ ندهید",
		justSay:    "فقط بگو|فقط بگویید|فقط بنویس|فقط بنویسید|مستقیما خروجی|فقط تکرار کن",
		noAdd:      "اضافه نکن|اضافه نکنید|بدون اضافه"},
	{lang: "he", ignore: "התעלם|התעלמי|התעלמו|שכח|שכחי|אל תתייחס",
		above:      "הקודמות|הקודם|הקודמת|לעיל|שלמעלה|הנ ל",
		question:   "השאלה|שאלה|השאלות|ההוראות|הוראות|הבקשה",
		dontAnswer: "אל תענה|אל תעני|אל תענו|בלי לענות",
		justSay:    "רק תגיד|פשוט תגיד|רק כתוב|פשוט כתוב|הדפס רק|רק הדפס|פשוט חזור",
		noAdd:      "אל תוסיף|אל תוסיפי|בלי להוסיף"},
	{lang: "hi", ignore: "अनदेखा करो|अनदेखा करें|नजरअंदाज करो|नजरअंदाज करें|नज़रअंदाज़ करें|ध्यान न दें|ध्यान मत दो|भूल जाओ|भूल जाएं|उपेक्षा करें|उपेक्षा करो|उपेक्षा कीजिए|अवहेलना करें|अवहेलना करो|अनदेखा करते हुए|नज़रअंदाज़ करो",
		above:      "उपरोक्त|ऊपर|ऊपर दिए|पिछले|पिछला|पिछली|पूर्व|उपर्युक्त|पहले के|पहले दिए",
		question:   "प्रश्न|प्रश्नों|सवाल|सवालों|निर्देश|निर्देशों|अनुरोध|कमांड|आदेश|आदेशों",
		dontAnswer: "उत्तर न दें|उत्तर मत दो|जवाब न दें|जवाब मत दो|का उत्तर न|का जवाब न|उत्तर देने की आवश्यकता नहीं|उत्तर देने की जरूरत नहीं|जवाब देने की जरूरत नहीं|जवाब देने की ज़रूरत नहीं|उत्तर देने की ज़रूरत नहीं",
		justSay:    "बस कहें|बस कहो|सिर्फ कहें|केवल कहें|सीधे परिणाम दें|सीधे आउटपुट|बस लिखें|केवल लिखें|बस दोहराएं|पूरी तरह दोहराएं|सीधे लिखें|बस आउटपुट|केवल आउटपुट|सिर्फ आउटपुट|सीधे आउटपुट करें",
		noAdd:      "न जोड़ें|मत जोड़ो|जोड़े बिना"},
	{lang: "bn", ignore: "উপেক্ষা করুন|উপেক্ষা কর|অগ্রাহ্য করুন|ভুলে যান|ভুলে যাও|মনোযোগ দেবেন না",
		above:      "উপরের|উপরোক্ত|আগের|পূর্ববর্তী|পূর্বের",
		question:   "প্রশ্ন|প্রশ্নগুলি|প্রশ্নের|প্রশ্নটি|নির্দেশ|নির্দেশাবলী|নির্দেশনা|অনুরোধ",
		dontAnswer: "উত্তর দেবেন না|উত্তর দিও না|উত্তর না দিয়ে|জবাব দেবেন না|উত্তর দেওয়ার দরকার নেই|উত্তর দেওয়ার প্রয়োজন নেই|উত্তর দিতে হবে না|তাড়াহুড়ো করে উত্তর দেবেন না",
		justSay:    "শুধু বলুন|শুধু বল|শুধুমাত্র বলুন|সরাসরি আউটপুট|সরাসরি লিখুন|শুধু লিখুন|শুধু পুনরাবৃত্তি|সম্পূর্ণ পুনরাবৃত্তি|শুধু আউটপুট|শুধুমাত্র আউটপুট|সরাসরি আউটপুট করুন",
		noAdd:      "যোগ করবেন না|যোগ না করে"},
	{lang: "zh", cjk: true, ignore: "忽略|忽视|无视|無視|不要理会|不理会",
		above:      "以上|上面|上述|前面|之前|先前|上文",
		question:   "问题|問題|提问|提問|请求|請求|任务|任務|内容|內容",
		dontAnswer: "不要回答|不用回答|别回答|別回答|无需回答|無需回答|不回答|不必回答|不需要回答|不用急着回答|不要着急回答|不要急于回答|无须回答|無須回答",
		justSay:    "直接说|直接說|直接输出|直接輸出|只说|只說|只输出|只輸出|仅输出|僅輸出|直接打印|只需说|只需說|完整复述|完整複述|直接回复|直接回覆",
		noAdd:      "不要添加|不要加|不添加"},
	{lang: "ja", cjk: true, ignore: "無視|忘れ",
		above:      "上記|前の|以前の|先の|上の",
		question:   "質問|問い|依頼|リクエスト|タスク",
		dontAnswer: "答えず|答えないで|回答せず|回答しないで|答える必要はありません|答える必要はない|回答する必要はありません|答えを急がず|急いで答えず",
		justSay:    "だけ言って|とだけ言って|直接出力|だけ出力|のみ出力|そのまま出力|だけ書いて|完全に復唱|だけ答えて|出力するだけ|直接出力して|そのまま出力して",
		noAdd:      "追加せず|加えず|追加しないで"},
	{lang: "ko", ignore: "무시하고|무시하세요|무시해|무시하십시오|잊고|잊어버리고",
		above:      "위의|위|이전|이전의|앞의|앞서",
		question:   "질문|질문을|질문은|요청|요청을|작업|작업을",
		dontAnswer: "대답하지 말고|대답하지 마|답하지 말고|답변하지 말고|답변하지 마세요|대답할 필요 없이|대답할 필요가 없습니다|답할 필요 없이|서둘러 대답하지 말고",
		justSay:    "그냥 말해|그냥 말하세요|만 말해|만 말하세요|바로 출력|직접 출력|만 출력|그대로 출력|그냥 반복|만 답하세요",
		noAdd:      "추가하지 말고|추가하지 마|덧붙이지 말고"},
	{lang: "th", cjk: true, ignore: "เพิกเฉย|ละเว้น|ละเลย|ไม่ต้องสนใจ|อย่าสนใจ|ลืม|ไม่สนใจ",
		above:      "ข้างต้น|ด้านบน|ก่อนหน้า|ก่อนหน้านี้|ที่ผ่านมา|ข้างบน",
		question:   "คำถาม|คำสั่ง|คำแนะนำ|ข้อความ|คำขอ|กฎ",
		dontAnswer: "ไม่ต้องตอบ|อย่าตอบ|ไม่ตอบ",
		justSay:    "แค่พูดว่า|เพียงพูดว่า|แค่บอกว่า|ให้พูดว่า|ให้ตอบว่า|แสดงผลโดยตรง|พิมพ์ว่า|แค่พิมพ์|ตอบเพียง|ให้แสดง|พูดซ้ำ",
		noAdd:      "ไม่ต้องเพิ่ม|อย่าเพิ่ม"},
	{lang: "id", ignore: "abaikan|lupakan|jangan hiraukan|jangan pedulikan|acuhkan|jangan ikuti",
		above:      "di atas|sebelumnya|sebelum ini|terdahulu|tadi",
		question:   "pertanyaan|perintah|instruksi|petunjuk|aturan|permintaan|tugas",
		dontAnswer: "jangan jawab|jangan menjawab|tanpa menjawab|tidak perlu menjawab",
		justSay:    "katakan saja|cukup katakan|hanya katakan|langsung keluarkan|langsung tulis|tulis saja|cetak saja|hanya tulis|ulangi saja|jawab hanya dengan",
		noAdd:      "jangan tambahkan|tanpa menambahkan"},
	{lang: "vi", ignore: "bo qua|bỏ qua|phot lo|phớt lờ|quen|quên|khong can quan tam|không cần quan tâm|lo di|lờ đi",
		above:      "o tren|ở trên|truoc do|trước đó|phia tren|phía trên|truoc|trước",
		question:   "cau hoi|câu hỏi|chi dan|chỉ dẫn|huong dan|hướng dẫn|lenh|lệnh|quy tac|quy tắc|yeu cau|yêu cầu",
		dontAnswer: "dung tra loi|đừng trả lời|khong tra loi|không trả lời|khong can tra loi|không cần trả lời",
		justSay:    "chi can noi|chỉ cần nói|chi noi|chỉ nói|hay noi|hãy nói|xuat truc tiep|xuất trực tiếp|chi in|chỉ in|chi viet|chỉ viết|chi lap lai|chỉ lặp lại",
		noAdd:      "dung them|đừng thêm|khong them|không thêm"},
	{lang: "sw", ignore: "puuza|sahau|usijali|usifuate|achana na",
		above:      "hapo juu|iliyotangulia|zilizotangulia|za awali|ya awali|zilizopita|uliopita",
		question:   "swali|maswali|maagizo|maelekezo|sheria|ombi|amri",
		dontAnswer: "usijibu|bila kujibu|msijibu",
		justSay:    "sema tu|andika tu|toa moja kwa moja|rudia tu|jibu tu kwa",
		noAdd:      "usiongeze|bila kuongeza"},
	{lang: "tr", ignore: "yok say|gormezden gel|görmezden gel|unut|dikkate alma|umursama",
		above:      "yukaridaki|yukarıdaki|onceki|önceki|yukarida|yukarıda|bundan onceki|bundan önceki",
		question:   "soruyu|soru|sorulari|soruları|talimatlari|talimatları|istegi|isteği|gorevi|görevi",
		dontAnswer: "cevap verme|yanit verme|yanıt verme|cevaplama|yanitlama|yanıtlama",
		justSay:    "sadece soyle|sadece söyle|sadece yaz|dogrudan yaz|doğrudan yaz|dogrudan cikti|doğrudan çıktı|yalnizca yaz|yalnızca yaz|sadece tekrarla|sadece şunu söyle",
		noAdd:      "ekleme|eklemeden"},
	{lang: "nl", ignore: "negeer|vergeet|let niet op",
		above:      "hierboven|bovenstaande|vorige|voorgaande|eerdere",
		question:   "vraag|vragen|verzoek|opdracht|taak",
		dontAnswer: "beantwoord niet|antwoord niet|zonder te antwoorden",
		justSay:    "zeg gewoon|zeg alleen|schrijf alleen|geef direct|print alleen|herhaal gewoon|antwoord alleen met",
		noAdd:      "voeg geen|zonder toe te voegen"},
	{lang: "pl", ignore: "zignoruj|ignoruj|zapomnij|pomin|pomiń",
		above:      "powyzsze|powyższe|powyzej|powyżej|poprzednie|poprzednich|wczesniejsze|wcześniejsze",
		question:   "pytanie|pytania|polecenie|polecenia|prosbe|prośbę|zadanie",
		dontAnswer: "nie odpowiadaj|nie odpowiadajcie|bez odpowiadania",
		justSay:    "po prostu powiedz|powiedz tylko|napisz tylko|wypisz tylko|wypisz bezposrednio|wypisz bezpośrednio|po prostu powtorz|po prostu powtórz",
		noAdd:      "nie dodawaj|bez dodawania"},
	{lang: "ms", ignore: "abaikan|lupakan|jangan endahkan|jangan ikut",
		above:      "di atas|sebelum ini|terdahulu",
		question:   "soalan|arahan|peraturan|permintaan|tugasan",
		dontAnswer: "jangan jawab|tanpa menjawab",
		justSay:    "katakan sahaja|tulis sahaja|cetak sahaja|ulang sahaja",
		noAdd:      "jangan tambah|tanpa menambah"},
}

// moreLangs are lexicon tables for languages the main table lacks.
var moreLangs = []langRules{
	{lang: "bn",
		everything: "সবকিছু|সব কিছু",
		ignore:     "উপেক্ষা করুন|উপেক্ষা কর|অগ্রাহ্য করুন|ভুলে যান|ভুলে যাও|মানবেন না|অনুসরণ করবেন না",
		instr:      "নির্দেশ|নির্দেশাবলী|নির্দেশনা|নিয়ম|নিয়মগুলি|আদেশ|সিস্টেম প্রম্পট|বিধিনিষেধ",
		leakVerb:   "দেখান|দেখাও|বলুন|বলো|প্রকাশ করুন|লিখুন|পুনরাবৃত্তি করুন",
		leakObj:    "সিস্টেম প্রম্পট|সিস্টেম নির্দেশ|মূল নির্দেশ|গোপন নির্দেশ|আপনার নির্দেশ|প্রাথমিক নির্দেশ",
		noLimits:   "কোনো বিধিনিষেধ ছাড়া|বিধিনিষেধ ছাড়া|সীমাবদ্ধতা ছাড়া|সেন্সর ছাড়া|নিয়ম ছাড়া",
		devMode:    "ডেভেলপার মোড",
		youAreNow:  "এখন থেকে আপনি|এখন থেকে তুমি|আপনি এখন|তুমি এখন",
		send:       "পাঠান|পাঠাও|ফরোয়ার্ড করুন",
		persona:    "হওয়ার ভান করুন|এর মতো আচরণ করুন|ভূমিকা পালন করুন"},
	{lang: "th", cjk: true,
		everything: "ทุกอย่าง|ทั้งหมด",
		ignore:     "เพิกเฉย|ละเว้น|ละเลย|ไม่ต้องสนใจ|อย่าสนใจ|ลืม|ไม่สนใจ|อย่าทำตาม|ไม่ต้องทำตาม|ข้าม",
		instr:      "คำสั่ง|คำแนะนำ|กฎ|ข้อกำหนด|ข้อจำกัด|แนวทาง|นโยบาย|พรอมต์ระบบ|ข้อความระบบ",
		leakVerb:   "แสดง|เปิดเผย|บอก|พิมพ์|ทำซ้ำ|พูดซ้ำ|เขียน|แปล",
		leakObj:    "พรอมต์ระบบ|พรอมท์ระบบ|ข้อความระบบ|คำสั่งระบบ|คำสั่งเริ่มต้น|คำสั่งดั้งเดิม|คำสั่งที่ซ่อน|คำสั่งลับ|คำสั่งของคุณ",
		noLimits:   "ไม่มีข้อจำกัด|โดยไม่มีข้อจำกัด|ไม่มีการเซ็นเซอร์|ไม่มีกฎ|ไร้ข้อจำกัด",
		devMode:    "โหมดนักพัฒนา|โหมดเจลเบรก",
		youAreNow:  "ตอนนี้คุณคือ|จากนี้ไปคุณคือ|จากนี้ไป|คุณไม่ใช่",
		send:       "ส่งไปที่|ส่งไปยัง|ส่งต่อไปยัง|อัปโหลดไปยัง",
		persona:    "แสร้งทำเป็น|สวมบทบาท|ทำตัวเป็น|แกล้งเป็น"},
	{lang: "id",
		everything: "semuanya|semua yang",
		ignore:     "abaikan|lupakan|jangan hiraukan|jangan pedulikan|jangan ikuti|langgar|lewati|acuhkan",
		instr:      "instruksi|perintah|petunjuk|aturan|peraturan|pedoman|batasan|kebijakan|prompt sistem|arahan",
		leakVerb:   "tunjukkan|tampilkan|ungkapkan|beritahu|katakan|cetak|ulangi|tulis|bagikan|apa",
		leakObj:    "prompt sistem|instruksi sistem|pesan sistem|instruksi awal|instruksi asli|instruksi tersembunyi|instruksi rahasia|instruksimu|instruksi anda|promptmu",
		noLimits:   "tanpa batasan|tanpa filter|tanpa sensor|tanpa aturan|tanpa etika|tidak ada batasan",
		devMode:    "mode pengembang|mode developer|mode dewa",
		youAreNow:  "sekarang kamu adalah|sekarang anda adalah|mulai sekarang|kamu bukan lagi|anda bukan lagi|mulai saat ini",
		send:       "kirim|kirimkan|teruskan|unggah",
		persona:    "berpura pura|berperan sebagai|bertindak sebagai|bersikap seperti"},
	{lang: "ms",
		everything: "segala galanya|semua",
		ignore:     "abaikan|lupakan|jangan endahkan|jangan ikut|langkau",
		instr:      "arahan|peraturan|garis panduan|sekatan|prompt sistem",
		leakVerb:   "tunjukkan|paparkan|dedahkan|beritahu|cetak|ulang|tulis|kongsi",
		leakObj:    "prompt sistem|arahan sistem|mesej sistem|arahan asal|arahan tersembunyi|arahan rahsia|arahan anda",
		noLimits:   "tanpa sekatan|tanpa had|tanpa tapisan|tanpa penapis|tanpa peraturan",
		youAreNow:  "sekarang anda ialah|mulai sekarang|anda bukan lagi",
		send:       "hantar|majukan|muat naik",
		persona:    "berpura pura|bertindak sebagai|berlakon sebagai"},
	{lang: "vi",
		everything: "moi thu|mọi thứ|tat ca|tất cả",
		ignore:     "bo qua|bỏ qua|phot lo|phớt lờ|quen|quên|lo di|lờ đi|dung lam theo|đừng làm theo|khong tuan theo|không tuân theo",
		instr:      "huong dan|hướng dẫn|chi dan|chỉ dẫn|chi thi|chỉ thị|lenh|lệnh|quy tac|quy tắc|rang buoc|ràng buộc|gioi han|giới hạn|loi nhac he thong|lời nhắc hệ thống",
		leakVerb:   "hien thi|hiển thị|tiet lo|tiết lộ|cho toi biet|cho tôi biết|in ra|lap lai|lặp lại|viet ra|viết ra|la gi|là gì",
		leakObj:    "loi nhac he thong|lời nhắc hệ thống|prompt he thong|prompt hệ thống|chi dan he thong|chỉ dẫn hệ thống|huong dan ban dau|hướng dẫn ban đầu|huong dan an|hướng dẫn ẩn|chi dan cua ban|chỉ dẫn của bạn",
		noLimits:   "khong gioi han|không giới hạn|khong co gioi han|không có giới hạn|khong kiem duyet|không kiểm duyệt|khong co quy tac|không có quy tắc",
		devMode:    "che do nha phat trien|chế độ nhà phát triển|che do developer|chế độ developer",
		youAreNow:  "bay gio ban la|bây giờ bạn là|tu gio tro di|từ giờ trở đi|ban khong con la|bạn không còn là",
		send:       "gui den|gửi đến|gui toi|gửi tới|chuyen tiep|chuyển tiếp|tai len|tải lên",
		persona:    "gia vo la|giả vờ là|dong vai|đóng vai|hanh dong nhu|hành động như"},
	{lang: "sw",
		everything: "kila kitu",
		ignore:     "puuza|sahau|usifuate|achana na|usijali",
		instr:      "maagizo|maelekezo|sheria|kanuni|amri|vikwazo|vizuizi",
		leakVerb:   "onyesha|fichua|niambie|andika|rudia|chapisha",
		leakObj:    "maagizo ya mfumo|ujumbe wa mfumo|maagizo ya awali|maagizo yaliyofichwa|maagizo yako|maagizo ya siri",
		noLimits:   "bila vikwazo|bila vizuizi|bila udhibiti|bila sheria|bila mipaka",
		youAreNow:  "sasa wewe ni|kuanzia sasa|wewe si tena",
		send:       "tuma|peleka|pakia",
		persona:    "jifanye|igiza kama|tenda kama"},
	{lang: "uk",
		everything: "все|усе",
		ignore:     "ігноруй|ігноруйте|проігноруй|проігноруйте|забудь|забудьте|не зважай на|не зважайте на|не виконуй|відкинь",
		instr:      "інструкції|інструкцій|вказівки|вказівок|правила|правил|команди|обмеження|системний промпт",
		leakVerb:   "покажи|покажіть|розкрий|виведи|виведіть|повтори|скажи|надрукуй|напиши",
		leakObj:    "системний промпт|системне повідомлення|системні інструкції|початкові інструкції|приховані інструкції|свої інструкції|твої інструкції|секретні інструкції",
		noLimits:   "без обмежень|без фільтрів|без цензури|без правил|жодних обмежень",
		devMode:    "режим розробника|режим бога",
		youAreNow:  "тепер ти|відтепер ти|з цього моменту|ти більше не",
		send:       "надішли|надішліть|перешли|перешліть|завантаж",
		persona:    "прикинься|вдавай що ти|поводься як|зіграй роль"},
	{lang: "fa",
		everything: "همه چیز",
		ignore:     "نادیده بگیر|نادیده بگیرید|فراموش کن|فراموش کنید|توجه نکن|پیروی نکن|پیروی نکنید",
		instr:      "دستورالعمل ها|دستورالعمل|دستورات|قوانین|قواعد|محدودیت ها|پرامپت سیستم",
		leakVerb:   "نشان بده|نشان دهید|فاش کن|بگو|بنویس|تکرار کن|چاپ کن",
		leakObj:    "پرامپت سیستم|پیام سیستم|دستورالعمل های سیستم|دستورات اولیه|دستورات پنهان|دستورات مخفی|دستورات تو|دستورالعمل های شما",
		noLimits:   "بدون محدودیت|بدون سانسور|بدون فیلتر|بدون قانون",
		devMode:    "حالت توسعه دهنده",
		youAreNow:  "تو اکنون|از این به بعد|تو دیگر",
		send:       "ارسال کن|بفرست|بفرستید",
		persona:    "وانمود کن|نقش بازی کن|مانند رفتار کن"},
	{lang: "he",
		everything: "הכל|כל מה",
		ignore:     "התעלם|התעלמי|התעלמו|שכח|שכחי|שכחו|אל תציית|אל תמלא",
		instr:      "ההוראות|הוראות|הכללים|כללים|ההנחיות|הנחיות|המגבלות|פרומפט המערכת",
		leakVerb:   "הצג|הראה|חשוף|גלה|אמור|כתוב|חזור על|הדפס",
		leakObj:    "פרומפט המערכת|הודעת המערכת|הוראות המערכת|ההוראות המקוריות|ההוראות הנסתרות|ההוראות הסודיות|ההוראות שלך",
		noLimits:   "בלי מגבלות|ללא מגבלות|ללא צנזורה|בלי צנזורה|ללא כללים|בלי כללים",
		devMode:    "מצב מפתח",
		youAreNow:  "עכשיו אתה|מעכשיו אתה|מעכשיו|אתה כבר לא",
		send:       "שלח|העבר|העלה",
		persona:    "העמד פנים|שחק את התפקיד|התנהג כמו"},
}

// sov marks the verb-final languages of the table written with spaces.
var sov = map[string]bool{"hi": true, "bn": true, "tr": true, "ko": true, "fa": true}

// hijackRulesAll expands the hijacking table into rules.
func hijackRulesAll() []Rule {
	var out []Rule
	for _, l := range hijack {
		gap := 3
		if l.cjk {
			gap = 8
		}
		add := func(fam int, name string, w float64, g int, slots ...string) {
			for _, s := range slots {
				if s == "" {
					return
				}
			}
			out = append(out, Rule{Family: fam, Name: name, Lang: l.lang, Weight: w, Gap: g, Slots: slots,
				Deny: "my|our|his|her|their", NotAfter: "t|cannot|not|never|won"})
		}
		g := gap
		if l.lang == "en" {
			g = 1 // "ignore (all) the above"; "ignore the rules above" is the main table's
		}
		add(FamRoleOverride, "ignore_the_above", 0.75, g, l.ignore, l.above)
		// object first (ja, ko, hi, bn, tr, fa): the verb closes the clause,
		// so the object phrase ("the above instructions and the answer") can
		// stand several words before it
		og := gap + 1
		if sov[l.lang] {
			og = 2*gap + 1
		}
		add(FamRoleOverride, "ignore_the_above", 0.7, og, l.above, l.ignore)
		add(FamRoleOverride, "ignore_the_question", 0.6, gap, l.ignore, l.question)
		add(FamRoleOverride, "ignore_the_question", 0.55, og, l.question, l.ignore)
		add(FamRoleOverride, "dont_answer_just_say", 0.8, gap*3, l.dontAnswer, l.justSay)
		add(FamRoleOverride, "ignore_then_output", 0.8, gap*4, l.ignore, l.justSay)
	}
	return out
}

// taskSwitchRules catch the "new task" hijack of prompt-injection games and
// benchmarks: dropping the earlier tasks from one's head, or moving on to a
// "new task" after an acknowledgement of the previous one.
var taskSwitchRules = []Rule{
	{Family: FamRoleOverride, Name: "drop_previous_tasks", Lang: "en", Weight: 0.7, Gap: 4,
		Slots: []string{"forget|forget about|remove|leave|put aside|set aside|drop|clear|erase|delete", "all|previous|prior|earlier|the previous|all the|all previous", "task{,s}|assignment{,s}|information|input{,s}|context|conversation|messages"}},
	{Family: FamRoleOverride, Name: "drop_previous_tasks", Lang: "de", Weight: 0.7, Gap: 4,
		Slots: []string{"vergiss|vergessen sie|lass|lassen sie|entferne|losche", "alle|alles|vorherigen|bisherigen|vorigen", "aufgaben|auftrage|informationen|eingaben|anweisungen"}},
	{Family: FamRoleOverride, Name: "new_task_now", Lang: "en", Weight: 0.45, Gap: 6,
		Slots: []string{"now|from now on|next", "concentrate on|focus on|start with|turn to|move on to|your new|a new|the new", "task|assignment|mission|challenge|instructions"}},
	{Family: FamRoleOverride, Name: "new_task_now", Lang: "de", Weight: 0.45, Gap: 6,
		Slots: []string{"jetzt|nun|ab jetzt", "konzentriere dich auf|konzentrieren sie sich auf|beginnen wir mit|neue|neuen", "aufgabe|auftrag|herausforderung|anweisungen"}},
	// agent-benchmark phrasing: a message to the assistant that puts a task first
	{Family: FamIndirect, Name: "before_your_task", Lang: "en", Weight: 0.75, Gap: 3,
		Slots: []string{"before you|before you can|prior to|before solving|before completing", "solve|complete|finish|do|answer|continue|proceed with|carry out|perform|solving|completing", "task|request|question|assignment|the task"}},
	{Family: FamIndirect, Name: "message_to_the_ai", Lang: "en", Weight: 0.6, Gap: 5,
		Slots: []string{"message|note|instruction{,s}|request", "to you", "ai|assistant|claude|gpt|chatgpt|gemini|llm|model|language model|agent|ai language model|ai assistant|bot"}},
	{Family: FamRoleOverride, Name: "adhere_to_following", Lang: "en", Weight: 0.55, Gap: 2,
		Slots: []string{"strictly adhere to|adhere to|strictly follow|obey|comply with|execute", "the following|these|this new|my new|the new|new", "instruction{,s}|command{,s}|directive{,s}|order{,s}"}},
}
